import type { AttemptRecord } from "../durable/taskgroup-model";
/** An attempt that got no answer to record: a timeout, a network error, an email the binding refused. */
export function failedAttempt(at: Date, started: number, error: string): AttemptRecord {
  return {
    ok: false,
    at: at.toISOString(),
    status: null,
    latency_ms: Date.now() - started,
    response: "",
    error,
    retry_after_s: null,
  };
}
