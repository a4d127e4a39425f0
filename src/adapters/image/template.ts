import { StepError } from "../../lib/failures";

/**
 * Fills `{{additional_context.voucher_code}}`-style placeholders from `values`.
 * A missing key is an error naming it: an empty voucher code on a printed image is worse than a failed step.
 */
export function fillTemplate(text: string, values: Record<string, unknown>): string {
  return text.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_, path: string) => {
    let value: unknown = values;
    for (const part of path.split(".")) {
      value =
        value !== null && typeof value === "object" && Object.hasOwn(value, part)
          ? (value as Record<string, unknown>)[part]
          : undefined;
    }
    if (value === undefined || value === null) throw new StepError({ kind: "template_key_missing", key: path });
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  });
}
