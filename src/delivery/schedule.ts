import type { AttemptRecord } from "../engine/types";

/** The documented default delivery schedule: the delay before each retry, in seconds. */
export const DEFAULT_RETRY_SCHEDULE = [5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200];

/** Storage notify retries when the target sets no `notify_retry`: 3 times, 5 s apart, as documented. */
export const NOTIFY_SCHEDULE = [5, 5, 5];

export type NextStep = { action: "done" } | { action: "retry"; delaySeconds: number } | { action: "dead" };

/** The longest delay a queue message may carry (Queues: 12 h); every retry is a new message, so
 * no message outlives a few seconds past its delay, far inside the queue's retention. */
export const MAX_QUEUE_DELAY_S = 43_200;
/** What follows attempt `n` (1-based, within the current round) of a delivery on `schedule`. */
export function afterAttempt(
  schedule: number[],
  n: number,
  a: Pick<AttemptRecord, "ok" | "status" | "retry_after_s">,
): NextStep {
  if (a.ok) return { action: "done" };
  // 410 Gone: the receiver says this endpoint is gone for good.
  if (a.status === 410 || n > schedule.length) return { action: "dead" };
  return {
    action: "retry",
    delaySeconds: Math.min(MAX_QUEUE_DELAY_S, Math.max(schedule[n - 1]!, a.retry_after_s ?? 0)),
  };
}
