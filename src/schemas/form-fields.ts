import { MAX_STEPS, SUFFIXES, TOP_LEVEL } from "./submission";
import { resourceName } from "../lib/resource-name";

/** A task's own field names (taskToTaskgroupFields maps them onto a one-step taskgroup's). */
const TASK_FIELDS = new Set(["configuration_name", "data", "data_url", "upload", "extras"]);

/**
 * At most this many fields in one multipart submission: every top-level field, a task's own, and two
 * per step (its input and its extras). A body with more cannot be a valid submission.
 */
export const MAX_FORM_FIELDS = TOP_LEVEL.size + TASK_FIELDS.size + 2 * MAX_STEPS;

/**
 * The text fields of one submission together. Every text field ends up in the stored spec, which
 * must stay under MAX_SPEC_BYTES (src/durable/spec-size.ts): more text can never be accepted.
 */
export const MAX_FORM_TEXT_BYTES = 2 * 1024 * 1024;

/** The configuration names of a `configuration_names` text field, when it is already known and readable. */
function namesOf(raw: unknown): Set<string> | undefined {
  if (typeof raw !== "string") return undefined;
  try {
    const names: unknown = JSON.parse(raw);
    return Array.isArray(names) ? new Set(names.filter((n): n is string => typeof n === "string")) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a multipart field can belong to a submission, judged from its name alone (before its body
 * is read): a top-level field, a task's own, or `{configuration}_{data|url|upload|input|extras}`,
 * whose configuration must be listed once `configuration_names` has been read.
 */
export function isKnownField(kind: "taskgroup" | "task", name: string, configurationNames?: unknown): boolean {
  if (TOP_LEVEL.has(name) || (kind === "task" && TASK_FIELDS.has(name))) return true;
  const listed = kind === "taskgroup" ? namesOf(configurationNames) : undefined;
  return SUFFIXES.some((s) => {
    if (!name.endsWith(`_${s}`)) return false;
    const step = name.slice(0, -(s.length + 1));
    return listed ? listed.has(step) : resourceName.safeParse(step).success;
  });
}
