import { z } from "zod";

/** Free-form JSON (custom_data, additional_context, params, extras) is stored and sent back in callbacks: kept small and shallow. */
export const MAX_JSON_DEPTH = 32;
export const MAX_FREE_JSON_BYTES = 64 * 1024;
/** A JSON request body is parsed whole, so it is capped (while it is read, a chunked one too); files go as multipart or tus. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** Iterative, so a body nested 100 000 deep is measured without using the stack that would overflow on it. */
export function jsonDepth(value: unknown, stopAt = MAX_JSON_DEPTH + 1): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest >= stopAt) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Why this free-form JSON is refused, or null. */
export function freeJsonProblem(value: unknown, maxBytes = MAX_FREE_JSON_BYTES): string | null {
  if (jsonDepth(value) > MAX_JSON_DEPTH) return `nests deeper than ${MAX_JSON_DEPTH} levels`;
  const bytes = new TextEncoder().encode(JSON.stringify(value) ?? "").length;
  if (bytes > maxBytes) return `is ${Math.ceil(bytes / 1024)} KiB, over the ${maxBytes / 1024} KiB limit`;
  return null;
}

/** A JSON object of any shape within the limits above. */
export const freeJsonObject = () =>
  z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
    const problem = freeJsonProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
