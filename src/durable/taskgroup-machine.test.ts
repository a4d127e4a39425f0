import { describe, expect, it } from "vitest";
import { transition, type Command, type MachineTaskgroup, type MachineStep } from "./taskgroup-machine";
import { segmentsOf } from "../adapters/catalog";

const NOW = 1_700_000_000_000;
const L = { now: NOW, maxAttempts: 3, timeoutMs: 900_000, retentionMs: 86_400_000 };
const file = { key: "k", file_name: "out.mp4", content_type: "video/mp4", size: 1 };

function step(idx: number, over: Partial<MachineStep> = {}): MachineStep {
  return {
    idx,
    state: "queued",
    attempts: 0,
    seg_attempts: 0,
    seg: 0,
    segs: 1,
    token: null,
    run: 0,
    holder: null,
    holder_try: null,
    deadline: null,
    progress: null,
    results: null,
    started_at: null,
    ended_at: null,
    ...over,
  };
}
const group = (status: MachineTaskgroup["status"], ...steps: MachineStep[]): MachineTaskgroup => ({ status, steps });
const claim = (over: Partial<Extract<Command, { type: "claim" }>> = {}): Command => ({
  type: "claim",
  idx: 0,
  token: "t",
  messageId: "m1",
  delivery: 1,
  ...over,
});
const finish = (
  outcome: Extract<Command, { type: "finish" }>["outcome"],
  over: Partial<Extract<Command, { type: "finish" }>> = {},
): Command => ({ type: "finish", idx: 0, token: "t", run: 1, outcome, ...over });
const running = (over: Partial<MachineStep> = {}) =>
  step(0, {
    state: "running",
    token: "t",
    run: 1,
    attempts: 1,
    seg_attempts: 1,
    holder: "m1",
    holder_try: 1,
    deadline: NOW + 1000,
    started_at: "s",
    ...over,
  });
const types = (t: ReturnType<typeof transition>) =>
  t.effects.map((e) => (e.type === "emit" ? `emit:${e.event.type}` : e.type));

describe("start", () => {
  it("queues the first step with a deadline and indexes the group", () => {
    const t = transition(group("Queued", step(0), step(1)), { type: "start" }, L);
    expect(t.steps.get(0)).toMatchObject({ state: "queued", deadline: NOW + L.timeoutMs });
    expect(t.effects).toEqual([{ type: "enqueue", idx: 0, delaySeconds: 0 }, { type: "index" }]);
  });
});

describe("claim: a lease, fenced by token, bounded at claim time", () => {
  it("runs a queued step: attempt counted, lease set, task.started once, the group Running", () => {
    const t = transition(group("Queued", step(0, { token: "t" })), claim(), L);
    expect(t.reply).toEqual({ type: "claimed", run: 1 });
    expect(t.steps.get(0)).toMatchObject({
      state: "running",
      attempts: 1,
      seg_attempts: 1,
      run: 1,
      holder: "m1",
      holder_try: 1,
      deadline: NOW + L.timeoutMs,
      first_started_ms: NOW,
    });
    expect(t.info.status).toBe("Running");
    expect(types(t)).toEqual(["emit:task.started", "index"]);
  });

  it("ignores a message with another token, and any message once the group has ended", () => {
    expect(transition(group("Running", step(0, { token: "new" })), claim(), L).reply.type).toBe("ignored");
    expect(transition(group("Cancelled", step(0, { state: "skipped", token: "t" })), claim(), L).reply.type).toBe(
      "ignored",
    );
  });

  it("answers busy to a duplicate message while the run's lease is live", () => {
    const t = transition(group("Running", running()), claim({ messageId: "m2" }), L);
    expect(t.reply).toEqual({ type: "busy" });
    expect(t.steps.size).toBe(0);
  });

  it("lets the same message take over when the queue delivers it again (its invocation died), using an attempt", () => {
    const t = transition(group("Running", running()), claim({ delivery: 2 }), L);
    expect(t.reply).toEqual({ type: "claimed", run: 2 });
    expect(t.steps.get(0)).toMatchObject({ attempts: 2, seg_attempts: 2, holder_try: 2 });
    expect(types(t)).toEqual([]); // started already: no second task.started
  });

  it("lets any message with the token take over once the lease has expired", () => {
    const t = transition(group("Running", running({ deadline: NOW - 1 })), claim({ messageId: "m2" }), L);
    expect(t.reply.type).toBe("claimed");
  });

  it("fails the step when a takeover finds it out of attempts: an isolate that keeps dying stops at the bound", () => {
    const t = transition(
      group("Running", running({ seg_attempts: 3, attempts: 3, run: 3, holder_try: 3 }), step(1)),
      claim({ delivery: 4 }),
      L,
    );
    expect(t.reply.type).toBe("ignored");
    expect(t.steps.get(0)).toMatchObject({ state: "failed" });
    expect((t.steps.get(0) as { error: string }).error).toMatch(/started 3 times/);
    expect(t.steps.get(1)).toMatchObject({ state: "skipped" });
    expect(t.info.status).toBe("Failed");
    expect(types(t)).toEqual(["emit:task.failed", "index", "emit:job.ended", "notify_targets"]);
  });
});

describe("progress", () => {
  it("moves forward only, from the run holding the step; callbacks hear each 10 %", () => {
    const g = group("Running", running({ progress: 15 }));
    expect(types(transition(g, { type: "progress", idx: 0, token: "t", run: 1, percent: 22 }, L))).toEqual([
      "emit:task.progress",
    ]);
    expect(types(transition(g, { type: "progress", idx: 0, token: "t", run: 1, percent: 18 }, L))).toEqual([]);
    expect(transition(g, { type: "progress", idx: 0, token: "t", run: 1, percent: 10 }, L).steps.size).toBe(0);
    expect(transition(g, { type: "progress", idx: 0, token: "t", run: 0, percent: 50 }, L).reply.type).toBe("ignored");
  });
});

describe("finish", () => {
  it("succeeds the step and queues the next one in the same transition", () => {
    const t = transition(
      group("Running", running(), step(1)),
      finish({ ok: true, results: [{ a: 1 }], output: file }),
      L,
    );
    expect(t.steps.get(0)).toMatchObject({
      state: "succeeded",
      results: [{ a: 1 }],
      output: file,
      progress: 100,
      token: null,
    });
    expect(t.steps.get(1)).toMatchObject({ state: "queued", deadline: NOW + L.timeoutMs });
    expect(types(t)).toEqual(["emit:task.succeeded", "enqueue"]);
  });

  it("ends the group after the last step", () => {
    const t = transition(group("Running", running()), finish({ ok: true, results: [], output: file }), L);
    expect(t.info).toMatchObject({ status: "Succeeded", retention_at: NOW + L.retentionMs });
    expect(types(t)).toEqual(["emit:task.succeeded", "index", "emit:job.ended", "notify_targets"]);
  });

  it("hands a chain's next segment to its Worker with this segment's output and results", () => {
    const t = transition(
      group("Running", running({ segs: 2, results: [{ r: 0 }] })),
      finish({ ok: true, results: [{ r: 1 }], output: file }),
      L,
    );
    expect(t.steps.get(0)).toMatchObject({
      state: "queued",
      seg: 1,
      seg_attempts: 0,
      seg_input: file,
      results: [{ r: 0 }, { r: 1 }],
    });
    expect(types(t)).toEqual(["enqueue"]);
  });

  it("schedules a retryable failure as a new message after the backoff, while attempts last", () => {
    const t = transition(
      group("Running", running({ seg_attempts: 2 })),
      finish({ ok: false, message: "S3 down", retryable: true, reason: "storage_unavailable" }),
      L,
    );
    expect(t.steps.get(0)).toMatchObject({
      state: "queued",
      error: "S3 down",
      holder: null,
      deadline: NOW + 10_000 + L.timeoutMs,
    });
    expect(t.effects).toEqual([{ type: "enqueue", idx: 0, delaySeconds: 10 }]);
  });

  it("fails the step on a retryable failure out of attempts, and on a final one", () => {
    const out = transition(
      group("Running", running({ seg_attempts: 3 })),
      finish({ ok: false, message: "down", retryable: true, reason: "storage_unavailable" }),
      L,
    );
    expect(out.info.status).toBe("Failed");
    expect(out.steps.get(0)).toMatchObject({ state: "failed", failure: "storage_unavailable" });
    const final = transition(
      group("Running", running()),
      finish({ ok: false, message: "InvalidAccessKeyId", retryable: false, reason: "storage_rejected" }),
      L,
    );
    expect(final.steps.get(0)).toMatchObject({
      state: "failed",
      error: "InvalidAccessKeyId",
      failure: "storage_rejected",
    });
  });

  it("ignores a report from a run that no longer holds the step, and a second report of the same run", () => {
    expect(
      transition(group("Running", running({ run: 2 })), finish({ ok: true, results: [], output: file }), L).reply.type,
    ).toBe("ignored");
    expect(
      transition(
        group("Succeeded", step(0, { state: "succeeded", run: 1 })),
        finish({ ok: true, results: [], output: file }),
        L,
      ).reply.type,
    ).toBe("ignored");
  });
});

describe("cancel and retry", () => {
  it("cancel skips active steps, drops their tokens, and ends the group once", () => {
    const t = transition(
      group("Running", step(0, { state: "succeeded" }), running({ idx: 1 }), step(2, { token: null })),
      { type: "cancel" },
      L,
    );
    expect(t.steps.get(1)).toMatchObject({ state: "skipped", token: null, deadline: null });
    expect(t.steps.get(2)).toMatchObject({ state: "skipped" });
    expect(t.info.status).toBe("Cancelled");
    expect(types(t)).toEqual(["index", "emit:job.ended", "notify_targets"]);
    // A report from the abandoned run after the cancel changes nothing.
    expect(
      transition(group("Cancelled", step(0, { state: "skipped" })), finish({ ok: true, results: [], output: file }), L)
        .reply.type,
    ).toBe("ignored");
  });

  it("cancel is refused once ended; so is retry unless Failed", () => {
    expect(transition(group("Succeeded", step(0, { state: "succeeded" })), { type: "cancel" }, L).reply.type).toBe(
      "refused",
    );
    expect(transition(group("Cancelled", step(0, { state: "skipped" })), { type: "retry" }, L).reply.type).toBe(
      "refused",
    );
  });

  it("retry resumes from the failed step with fresh segment attempts", () => {
    const g = group(
      "Failed",
      step(0, { state: "succeeded" }),
      step(1, { state: "failed", seg: 1, segs: 2, seg_attempts: 3, attempts: 4 }),
      step(2, { state: "skipped" }),
    );
    const t = transition(g, { type: "retry" }, L);
    expect(t.steps.has(0)).toBe(false);
    expect(t.steps.get(1)).toMatchObject({ state: "queued", seg: 0, seg_attempts: 0, error: null });
    expect(t.steps.get(1)!.attempts).toBeUndefined(); // the total keeps counting
    expect(t.steps.get(2)).toMatchObject({ state: "queued", token: null });
    expect(t.info).toEqual({ status: "Running", ended_at: null, retention_at: null });
    expect(t.effects).toEqual([{ type: "enqueue", idx: 1, delaySeconds: 0 }, { type: "index" }]);
  });
});

describe("retry after retention", () => {
  it("is refused once retention deleted the group's files (inputs gone, new outputs never deleted)", () => {
    const g = { ...group("Failed", step(0, { state: "failed" })), filesDeleted: true };
    const t = transition(g, { type: "retry" }, L);
    expect(t.reply).toEqual({ type: "refused", why: "retention has deleted its files; submit it again instead" });
    expect([t.steps.size, t.effects]).toEqual([0, []]);
  });
});

describe("tick: the watchdog", () => {
  it("re-sends a queued step whose message never came under the SAME token, without using an attempt", () => {
    const t = transition(group("Running", step(0, { token: "t", deadline: NOW - 1 })), { type: "tick" }, L);
    // Not "enqueue" (a fresh token): the original message, still waiting in a backlog, stays valid.
    expect(t.effects).toEqual([{ type: "resend", idx: 0 }]);
    expect(t.steps.get(0)).toEqual({ deadline: NOW + L.timeoutMs });
  });

  it("the original message still claims the step after a re-send; the copy is then a duplicate", () => {
    const resent = transition(group("Running", step(0, { token: "t", deadline: NOW - 1 })), { type: "tick" }, L);
    const after = step(0, { token: "t", ...(resent.steps.get(0) as Partial<MachineStep>) });
    const first = transition(group("Running", after), claim({ messageId: "original" }), L);
    expect(first.reply).toEqual({ type: "claimed", run: 1 });
    const claimed = step(0, { token: "t", ...(first.steps.get(0) as Partial<MachineStep>) });
    expect(transition(group("Running", claimed), claim({ messageId: "copy" }), L).reply.type).toBe("busy");
  });

  it("re-queues a running step past its lease while attempts last, and fails it after", () => {
    expect(types(transition(group("Running", running({ deadline: NOW - 1 })), { type: "tick" }, L))).toEqual([
      "enqueue",
    ]);
    const t = transition(group("Running", running({ deadline: NOW - 1, seg_attempts: 3 })), { type: "tick" }, L);
    expect(t.info.status).toBe("Failed");
    expect((t.steps.get(0) as { error: string }).error).toBe("The step did not finish within 900 s.");
  });

  it("leaves a live lease alone, and touches no step of an ended group", () => {
    expect(transition(group("Running", running()), { type: "tick" }, L).effects).toEqual([]);
    expect(
      transition(group("Cancelled", step(0, { state: "skipped", deadline: NOW - 1 })), { type: "tick" }, L).effects,
    ).toEqual([]);
  });
});

describe("segmentsOf", () => {
  it("cuts a chain where the Worker changes", () => {
    expect(segmentsOf([{ adapter: "video-overlay" }, { adapter: "s3-upload" }])).toEqual([
      { from: 0, to: 1, runtime: "media" },
      { from: 1, to: 2, runtime: "api" },
    ]);
    expect(
      segmentsOf([{ adapter: "image-compositor" }, { adapter: "video-overlay" }, { adapter: "video-join" }]),
    ).toEqual([
      { from: 0, to: 1, runtime: "image" },
      { from: 1, to: 3, runtime: "media" },
    ]);
  });
});
