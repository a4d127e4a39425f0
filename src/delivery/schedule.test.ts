import { describe, expect, it } from "vitest";
import { afterAttempt, DEFAULT_RETRY_SCHEDULE, MAX_QUEUE_DELAY_S } from "./schedule";

describe("afterAttempt: the delivery schedule", () => {
  const ok = { ok: true, status: 200, retry_after_s: null };
  const fail = (status: number | null, retry_after_s: number | null = null) => ({ ok: false, status, retry_after_s });
  it("ends on success, retries on the schedule, dies after it or on 410", () => {
    expect(afterAttempt([5, 30], 1, ok)).toEqual({ action: "done" });
    expect(afterAttempt([5, 30], 1, fail(500))).toEqual({ action: "retry", delaySeconds: 5 });
    expect(afterAttempt([5, 30], 2, fail(null))).toEqual({ action: "retry", delaySeconds: 30 });
    expect(afterAttempt([5, 30], 3, fail(500))).toEqual({ action: "dead" });
    expect(afterAttempt([5, 30], 1, fail(410))).toEqual({ action: "dead" });
  });
  it("waits at least Retry-After, and never longer than a queue message may be delayed", () => {
    expect(afterAttempt([5], 1, fail(503, 20))).toEqual({ action: "retry", delaySeconds: 20 });
    expect(afterAttempt([86_400], 1, fail(503))).toEqual({ action: "retry", delaySeconds: MAX_QUEUE_DELAY_S });
    for (const [i] of DEFAULT_RETRY_SCHEDULE.entries()) {
      const next = afterAttempt(DEFAULT_RETRY_SCHEDULE, i + 1, fail(500, 99_999));
      expect(next.action === "retry" && next.delaySeconds).toBeLessThanOrEqual(MAX_QUEUE_DELAY_S);
    }
  });
});
