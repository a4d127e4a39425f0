import { decideLease } from "../engine/lease";
import {
  type FailureReason,
  isTerminal,
  type StepFile,
  type StepOutcome,
  type StepState,
  type TaskgroupEvent,
  type TaskgroupStatus,
} from "../engine/types";

/**
 * The Taskgroup's transitions as pure functions: (state, command) → (changes, effects, reply).
 * The object applies the changes and writes the effects to its outbox in one storage transaction,
 * so a state change and the messages it causes can never be separated by a failure or a reset.
 */

/** A step as the machine sees it (a StepRow with its JSON columns parsed). */
export interface MachineStep {
  idx: number;
  state: StepState;
  /** Every claim of the step, shown to users. */
  attempts: number;
  /** Claims of the current segment: bounded by `maxAttempts`, counted when a run starts. */
  seg_attempts: number;
  /** The chain segment to run next (segments: runs of links on the same Worker). */
  seg: number;
  segs: number;
  /** Fences queue messages: only a message carrying the current token may claim the step. */
  token: string | null;
  /** Fences reports: the run number of the claim that holds the step. */
  run: number;
  /** The queue message (id and delivery count) whose invocation holds the running step. */
  holder: string | null;
  holder_try: number | null;
  /** Queued: by when a message must claim it. Running: when its lease ends. */
  deadline: number | null;
  progress: number | null;
  results: unknown[] | null;
  started_at: string | null;
  ended_at: string | null;
}

export interface MachineTaskgroup {
  status: TaskgroupStatus;
  steps: MachineStep[];
  /** Retention has deleted the group's files (inputs and outputs): nothing can run again. */
  filesDeleted?: boolean;
}

export interface MachineLimits {
  now: number;
  maxAttempts: number;
  timeoutMs: number;
  retentionMs: number;
}

export type Command =
  | { type: "start" }
  | { type: "claim"; idx: number; token: string; messageId: string; delivery: number }
  | { type: "progress"; idx: number; token: string; run: number; percent: number }
  | { type: "finish"; idx: number; token: string; run: number; outcome: StepOutcome }
  | { type: "abandon"; idx: number; token: string; message: string; reason: FailureReason }
  | { type: "cancel" }
  | { type: "retry" }
  | { type: "tick" };

/** Column changes: `output`/`seg_input` are files, `results` an array; the object serialises them. */
export type StepPatch = Partial<Omit<MachineStep, "idx" | "segs">> & {
  error?: string | null;
  failure?: FailureReason | null;
  output?: StepFile | null;
  seg_input?: StepFile | null;
  first_started_ms?: number;
};

export interface InfoPatch {
  status?: TaskgroupStatus;
  started_at?: string;
  ended_at?: string | null;
  retention_at?: number | null;
}

export type Effect =
  /** Send the step's message (the object gives it a fresh token), after `delaySeconds`. */
  | { type: "enqueue"; idx: number; delaySeconds: number }
  /** Send the step's message again under its current token: the first copy, if it comes, stays valid. */
  | { type: "resend"; idx: number }
  | { type: "emit"; event: TaskgroupEvent }
  /** The client's taskgroup index should reflect the new status. */
  | { type: "index" }
  /** The group has ended: storage targets it uploaded to are notified. */
  | { type: "notify_targets" };

export type Reply =
  | { type: "claimed"; run: number }
  /** Another invocation holds the step and its lease is live: this message is a duplicate. */
  | { type: "busy" }
  | { type: "ignored"; why: string }
  | { type: "done" }
  | { type: "refused"; why: string };

export interface Transition {
  info: InfoPatch;
  steps: Map<number, StepPatch>;
  effects: Effect[];
  reply: Reply;
}

/** Backoff before a retryable failure runs again: 5 s, 10 s, 20 s … capped at 5 min. */
export const retryDelaySeconds = (attempts: number) => Math.min(300, 5 * 2 ** Math.max(0, attempts - 1));

/** Builds one transition; `patch` merges so a step can be changed twice in one transition. */
class Builder {
  readonly t: Transition = { info: {}, steps: new Map(), effects: [], reply: { type: "done" } };
  constructor(
    readonly g: MachineTaskgroup,
    readonly l: MachineLimits,
  ) {}
  get iso() {
    return new Date(this.l.now).toISOString();
  }
  patch(idx: number, p: StepPatch) {
    this.t.steps.set(idx, { ...this.t.steps.get(idx), ...p });
  }
  /** The step with this transition's changes so far. */
  step(idx: number): MachineStep {
    return { ...this.g.steps[idx]!, ...(this.t.steps.get(idx) as Partial<MachineStep>) };
  }
  effect(e: Effect) {
    this.t.effects.push(e);
  }
  reply(r: Reply): Transition {
    this.t.reply = r;
    return this.t;
  }

  queue(idx: number, delaySeconds = 0) {
    this.patch(idx, {
      state: "queued",
      holder: null,
      holder_try: null,
      deadline: this.l.now + delaySeconds * 1000 + this.l.timeoutMs,
    });
    this.effect({ type: "enqueue", idx, delaySeconds });
  }

  failStep(idx: number, message: string, reason: FailureReason) {
    const s = this.step(idx);
    this.patch(idx, {
      state: "failed",
      error: message,
      failure: reason,
      ended_at: this.iso,
      started_at: s.started_at ?? this.iso,
      deadline: null,
      holder: null,
      token: null,
    });
    for (const later of this.g.steps) {
      if (later.idx > idx && (later.state === "queued" || later.state === "running"))
        this.patch(later.idx, { state: "skipped", deadline: null, token: null });
    }
    this.effect({ type: "emit", event: { type: "task.failed", step: idx } });
    this.end("Failed");
  }

  end(status: TaskgroupStatus) {
    this.t.info = { ...this.t.info, status, ended_at: this.iso, retention_at: this.l.now + this.l.retentionMs };
    this.effect({ type: "index" });
    this.effect({ type: "emit", event: { type: "job.ended" } });
    this.effect({ type: "notify_targets" });
  }
}

/** Runs a claim that passed the fences: bounded at claim time, so a run whose isolate dies still counts. */
function startRun(b: Builder, s: MachineStep, c: Extract<Command, { type: "claim" }>, restarted: boolean): Transition {
  if (s.seg_attempts >= b.l.maxAttempts) {
    b.failStep(
      s.idx,
      restarted
        ? `The step was started ${s.seg_attempts} times and its Worker stopped each time before it finished (out of memory or CPU time?).`
        : `The step did not finish within ${b.l.maxAttempts} attempts.`,
      restarted ? "worker_stopped" : "out_of_attempts",
    );
    return b.reply({ type: "ignored", why: "out of attempts" });
  }
  const run = s.attempts + 1;
  b.patch(s.idx, {
    state: "running",
    attempts: run,
    seg_attempts: s.seg_attempts + 1,
    run,
    holder: c.messageId,
    holder_try: c.delivery,
    deadline: b.l.now + b.l.timeoutMs,
    started_at: s.started_at ?? b.iso,
  });
  if (s.started_at === null) {
    b.patch(s.idx, { first_started_ms: b.l.now });
    b.effect({ type: "emit", event: { type: "task.started", step: s.idx } });
  }
  if (b.g.status === "Queued") {
    b.t.info = { status: "Running", started_at: b.iso };
    b.effect({ type: "index" });
  }
  return b.reply({ type: "claimed", run });
}

export function transition(g: MachineTaskgroup, c: Command, l: MachineLimits): Transition {
  const b = new Builder(g, l);
  const terminal = isTerminal(g.status);
  switch (c.type) {
    case "start": {
      if (g.status !== "Queued" || g.steps[0]?.state !== "queued")
        return b.reply({ type: "ignored", why: "already started" });
      b.queue(0);
      b.effect({ type: "index" });
      return b.reply({ type: "done" });
    }

    case "claim": {
      const s = g.steps[c.idx];
      if (terminal || !s || s.token !== c.token) return b.reply({ type: "ignored", why: "superseded or ended" });
      if (s.state === "queued") return startRun(b, s, c, false);
      if (s.state !== "running") return b.reply({ type: "ignored", why: `step is ${s.state}` });
      // The same message delivered again after its earlier invocation ended without a report (its
      // isolate died), or a lease run out: this one takes over at once, using an attempt.
      const lease = { holder: s.holder, holderTry: s.holder_try, until: s.deadline };
      if (decideLease(lease, c.messageId, c.delivery, l.now) === "busy") return b.reply({ type: "busy" });
      return startRun(b, s, c, true);
    }

    case "progress": {
      const s = g.steps[c.idx];
      if (terminal || !s || s.state !== "running" || s.token !== c.token || s.run !== c.run)
        return b.reply({ type: "ignored", why: "not the running claim" });
      const p = Math.max(0, Math.min(100, Math.floor(c.percent)));
      if (s.progress !== null && p <= s.progress) return b.reply({ type: "ignored", why: "not forward" });
      b.patch(c.idx, { progress: p });
      if (Math.floor(p / 10) > Math.floor((s.progress ?? 0) / 10))
        b.effect({ type: "emit", event: { type: "task.progress", step: c.idx, progress: p } });
      return b.reply({ type: "done" });
    }

    case "finish": {
      const s = g.steps[c.idx];
      if (terminal || !s || s.state !== "running" || s.token !== c.token || s.run !== c.run)
        return b.reply({ type: "ignored", why: "not the running claim" });
      const o = c.outcome;
      if (o.ok) {
        const results = [...(s.results ?? []), ...o.results];
        if (s.seg + 1 < s.segs) {
          // The next segment of the chain runs on the Worker its adapters need, from this output.
          b.patch(c.idx, { seg: s.seg + 1, seg_attempts: 0, results, seg_input: o.output, error: null });
          b.queue(c.idx);
          return b.reply({ type: "done" });
        }
        b.patch(c.idx, {
          state: "succeeded",
          results,
          output: o.output,
          error: null,
          progress: 100,
          ended_at: b.iso,
          deadline: null,
          holder: null,
          token: null,
        });
        b.effect({ type: "emit", event: { type: "task.succeeded", step: c.idx } });
        if (c.idx + 1 < g.steps.length) b.queue(c.idx + 1);
        else b.end("Succeeded");
        return b.reply({ type: "done" });
      }
      if (o.retryable && s.seg_attempts < l.maxAttempts) {
        b.patch(c.idx, { error: o.message });
        b.queue(c.idx, retryDelaySeconds(s.seg_attempts));
        return b.reply({ type: "done" });
      }
      b.failStep(c.idx, o.message, o.reason);
      return b.reply({ type: "done" });
    }

    case "abandon": {
      const s = g.steps[c.idx];
      if (terminal || !s || s.token !== c.token || (s.state !== "queued" && s.state !== "running"))
        return b.reply({ type: "ignored", why: "not active" });
      b.failStep(c.idx, c.message, c.reason);
      return b.reply({ type: "done" });
    }

    case "cancel": {
      if (terminal) return b.reply({ type: "refused", why: `it has already ended (${g.status})` });
      for (const s of g.steps) {
        // A running step is abandoned: its token goes, so its late report changes nothing.
        if (s.state === "queued" || s.state === "running")
          b.patch(s.idx, {
            state: "skipped",
            token: null,
            deadline: null,
            holder: null,
            ended_at: s.ended_at ?? b.iso,
          });
      }
      b.end("Cancelled");
      return b.reply({ type: "done" });
    }

    case "retry": {
      const failed = g.steps.find((s) => s.state === "failed");
      if (g.status !== "Failed" || !failed)
        return b.reply({ type: "refused", why: `only a Failed taskgroup can be retried (this one is ${g.status})` });
      // Its inputs are gone, and outputs made now would outlive the retention that already ran.
      if (g.filesDeleted)
        return b.reply({ type: "refused", why: "retention has deleted its files; submit it again instead" });
      for (const s of g.steps) {
        if (s.idx < failed.idx) continue;
        b.patch(s.idx, {
          state: "queued",
          error: null,
          failure: null,
          results: null,
          output: null,
          seg_input: null,
          progress: null,
          started_at: null,
          ended_at: null,
          seg: 0,
          seg_attempts: 0,
          token: null,
          deadline: null,
          holder: null,
          holder_try: null,
        });
      }
      b.t.info = { status: "Running", ended_at: null, retention_at: null };
      b.queue(failed.idx);
      b.effect({ type: "index" });
      return b.reply({ type: "done" });
    }

    case "tick": {
      if (terminal) return b.reply({ type: "ignored", why: "ended" });
      for (const s of g.steps) {
        if (s.deadline === null || s.deadline > l.now) continue;
        if (s.state === "queued") {
          // No message claimed it in time: lost, or only waiting behind a long backlog. The copy goes
          // out under the SAME token, so whichever arrives first claims the step and the other is a
          // harmless duplicate; a new token would void the waiting original and put the step at the
          // back of the queue again, every time (a backlog longer than the timeout would never run).
          // No run started, so no attempt is used; one copy per timeout bounds the duplicates.
          b.patch(s.idx, { deadline: l.now + l.timeoutMs });
          b.effect({ type: "resend", idx: s.idx });
        } else if (s.state === "running") {
          // Its run vanished without a report past its lease.
          if (s.seg_attempts >= l.maxAttempts)
            b.failStep(s.idx, `The step did not finish within ${l.timeoutMs / 1000} s.`, "timed_out");
          else b.queue(s.idx);
        }
        if (b.t.info.status) break; // the group ended
      }
      return b.reply({ type: "done" });
    }

    default: {
      const unreachable: never = c;
      throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}
