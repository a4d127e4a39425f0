import { assetParams, paramNames } from "../adapters/catalog";
import { ApiError, badRequest } from "../lib/errors";
import { freeJsonProblem } from "../lib/json-limits";
import { StoredFile } from "../lib/uploads";
import type { ChainLink } from "../engine/types";
import { resourceName } from "../lib/resource-name";

export const MAX_STEPS = 50;
export const SUFFIXES = ["data", "url", "upload", "input", "extras"] as const;
type Suffix = (typeof SUFFIXES)[number];
export const TOP_LEVEL = new Set([
  "configuration_names",
  "webhook_url",
  "callbacks",
  "content_id",
  "custom_data",
  "workflow",
]);

export type FieldValue = string | StoredFile | unknown;

/** One step as submitted, before configurations are looked up. */
export interface SubmittedStep {
  name: string;
  /** A multipart file, already streamed into R2. */
  data?: StoredFile;
  url?: string;
  /** The id of a finished resumable upload (`/api/uploads`). */
  upload?: string;
  input?: string;
  extras: Record<string, unknown>;
}

export interface Submission {
  steps: SubmittedStep[];
  webhookUrl?: string;
  contentId?: string;
  customData?: unknown;
  workflow?: string;
  /** The raw `callbacks` field, validated with the outbound-URL rules by the route. */
  callbacks?: unknown;
}

const unprocessable = (code: string, message: string) => new ApiError(422, code, message);

function parseJsonField(value: FieldValue, field: string): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest("malformed_json", `${field} is not valid JSON.`);
  }
}

/** A task names one configuration with unprefixed fields; it maps onto a one-step taskgroup. */
export function taskToTaskgroupFields(fields: Map<string, FieldValue>): Map<string, FieldValue> {
  const name = fields.get("configuration_name");
  if (typeof name !== "string" || !name) throw badRequest("missing_field", "configuration_name is required.");
  const out = new Map<string, FieldValue>([["configuration_names", [name]]]);
  for (const [k, v] of fields) {
    if (k === "configuration_name") continue;
    const mapped =
      k === "data" || k === "extras" || k === "upload" ? `${name}_${k}` : k === "data_url" ? `${name}_url` : k;
    out.set(mapped, v);
  }
  return out;
}

/** Reads the submission's fields (multipart or JSON alike) and checks every rule that needs no stored state. */
export function readSubmission(fields: Map<string, FieldValue>): Submission {
  const rawNames = fields.get("configuration_names");
  if (rawNames === undefined)
    throw badRequest("missing_field", "configuration_names is required: a JSON array of configuration names.");
  const names = parseJsonField(rawNames, "configuration_names");
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== "string")) {
    throw badRequest(
      "invalid_configuration_names",
      "configuration_names must be a non-empty JSON array of configuration names.",
    );
  }
  if (names.length > MAX_STEPS)
    throw badRequest("too_many_steps", `A taskgroup runs at most ${MAX_STEPS} configurations.`);
  for (const n of names) {
    if (!resourceName.safeParse(n).success)
      throw badRequest("invalid_configuration_names", `'${n}' is not a valid configuration name.`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup)
    throw badRequest("duplicate_configuration", `'${dup}' appears twice in configuration_names; each runs once.`);

  const steps: SubmittedStep[] = names.map((name: string) => ({ name, extras: {} }));
  const byName = new Map(steps.map((s) => [s.name, s]));
  for (const [key, value] of fields) {
    if (TOP_LEVEL.has(key)) continue;
    const match = SUFFIXES.map((s) => [s, key.slice(0, -(s.length + 1))] as const).find(
      ([s, name]) => key.endsWith(`_${s}`) && byName.has(name),
    );
    if (!match)
      throw badRequest(
        "unknown_field",
        `Unknown field '${key}': per-step fields are {configuration}_data, _url, _upload, _input or _extras for a configuration in configuration_names.`,
      );
    const [suffix, name] = match as [Suffix, string];
    const step = byName.get(name)!;
    if (suffix === "data") {
      if (!(value instanceof StoredFile))
        throw badRequest(
          "invalid_data",
          `${key} must be a file in a multipart/form-data body (in JSON, use ${name}_url).`,
        );
      step.data = value;
    } else if (suffix === "extras") {
      const extras = parseJsonField(value, key);
      if (typeof extras !== "object" || extras === null || Array.isArray(extras))
        throw badRequest("invalid_extras", `${key} must be a JSON object.`);
      const problem = freeJsonProblem(extras);
      if (problem) throw badRequest("invalid_extras", `${key} ${problem}.`);
      step.extras = extras as Record<string, unknown>;
    } else {
      if (typeof value !== "string" || !value) throw badRequest(`invalid_${suffix}`, `${key} must be a string.`);
      step[suffix] = value;
    }
  }

  steps.forEach((s, i) => {
    const given = (["data", "url", "upload", "input"] as const).filter((k) => s[k] !== undefined);
    if (given.length === 0)
      throw badRequest(
        "missing_input",
        `Configuration '${s.name}' needs exactly one of ${s.name}_data, ${s.name}_url, ${s.name}_upload or ${s.name}_input.`,
      );
    if (given.length > 1)
      throw badRequest(
        "multiple_inputs",
        `Configuration '${s.name}' has ${given.map((g) => `${s.name}_${g}`).join(" and ")}; give exactly one.`,
      );
    if (s.input !== undefined) requireEarlier(names, i, s.input, `${s.name}_input`);
  });

  const text = (k: string) => {
    const v = fields.get(k);
    if (v !== undefined && typeof v !== "string") throw badRequest("invalid_field", `${k} must be a string.`);
    return v as string | undefined;
  };
  const customData = fields.get("custom_data");
  const problem = customData === undefined ? null : freeJsonProblem(customData);
  if (problem) throw badRequest("invalid_custom_data", `custom_data ${problem}.`);
  return {
    steps,
    webhookUrl: text("webhook_url"),
    contentId: text("content_id"),
    workflow: text("workflow"),
    customData,
    callbacks: fields.get("callbacks"),
  };
}

function requireEarlier(names: string[], index: number, target: string, field: string): void {
  const at = names.indexOf(target);
  if (at === -1 || at >= index) {
    throw unprocessable(
      "input_not_earlier",
      `${field} names '${target}', which does not run before '${names[index]}' in this taskgroup.`,
    );
  }
}

/**
 * Merges a step's extras over its configuration's chain: each key goes to the adapters
 * whose params know it; `{param}_override` swaps an asset param for an earlier step's output.
 */
export function applyExtras(names: string[], index: number, chain: ChainLink[], extras: Record<string, unknown>) {
  const step = names[index]!;
  const overrides: Record<string, string> = {};
  const merged = chain.map((l) => ({ adapter: l.adapter, params: { ...l.params } }));
  for (const [key, value] of Object.entries(extras)) {
    if (key.endsWith("_override")) {
      const param = key.slice(0, -"_override".length);
      if (typeof value !== "string")
        throw badRequest("invalid_override", `${step}_extras.${key} must name an earlier configuration.`);
      requireEarlier(names, index, value, `${step}_extras.${key}`);
      const links = merged.filter((l) => assetParams(l.adapter).includes(param));
      if (links.length === 0)
        throw badRequest(
          "invalid_override",
          `${step}_extras.${key}: '${param}' is not an asset parameter (*_file_name) of this configuration.`,
        );
      overrides[param] = value;
      // The schema still sees a name; at run time the override's file is used in its place.
      for (const l of links) l.params[param] = `${value}.output`;
      continue;
    }
    const links = merged.filter((l) => paramNames(l.adapter).includes(key));
    if (links.length === 0) {
      if (key === "additional_context") continue; // free JSON for templates: harmless where no adapter templates
      throw badRequest(
        "unknown_extra",
        `${step}_extras.${key} is not a parameter of any adapter in configuration '${step}'.`,
      );
    }
    for (const l of links) l.params[key] = value;
  }
  return { chain: merged, overrides };
}
