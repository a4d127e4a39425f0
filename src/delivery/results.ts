import type { TaskgroupStatus } from "../engine/types";

export interface StepResult {
  name: string;
  state: string;
  /** The adapters' results, parsed. */
  results: unknown;
  error: string | null;
}

export interface VccResult {
  error: boolean;
  result: unknown;
  configuration: string;
}

/**
 * The final payload VCC taskgroup users parse (docs/api.md, Callbacks): one entry per
 * step that ran, in order; a failed step's `result` is its error message.
 */
export function vccPayload(status: TaskgroupStatus, taskId: string, steps: StepResult[]) {
  const results: VccResult[] = steps
    .filter((s) => s.state === "succeeded" || s.state === "failed")
    .map((s) =>
      s.state === "succeeded"
        ? { error: false, result: s.results ?? [], configuration: s.name }
        : { error: true, result: s.error ?? "failed", configuration: s.name },
    );
  return { status, task_id: taskId, results };
}
