import { type Runtime, segmentsOf } from "../adapters/catalog";
import type { FailureReason, TaskgroupSpec } from "../engine/types";

/** What one taskgroup adds to the System page: its queued and running work, dead letters, failure. */
export interface TaskgroupSystemView {
  /** Steps waiting for (or holding) a message on a step queue, with when they began to wait. */
  steps: { queue: Runtime; state: "queued" | "running"; since: string }[];
  /** Callbacks not yet delivered (queued, in flight or behind an earlier one), oldest first. */
  deliveries: { pending: number; oldest: string | null };
  /** Why each dead-lettered callback of this group failed its last attempt. */
  dead: string[];
  /** The failed step's reason and when it failed, for a Failed group. */
  failure: { reason: FailureReason | "unknown"; at: string } | null;
}

interface Step {
  state: string;
  seg: number;
  started_at: string | null;
  ended_at: string | null;
  failure: string | null;
}

interface Delivery {
  state: string;
  kind: string;
  created_at: string;
  attempts: { status: number | null; error: string | null }[];
}

/** A dead delivery's last answer as a short reason: `http_503`, `timeout`, `network_error`, `email_refused`. */
export function deadReason(d: Pick<Delivery, "kind" | "attempts">): string {
  const last = d.attempts[d.attempts.length - 1];
  if (!last) return "never_sent";
  if (last.status !== null) return `http_${last.status}`;
  if (d.kind === "email") return "email_refused";
  if (last.error?.startsWith("timed out")) return "timeout";
  if (last.error?.startsWith("request refused")) return "request_refused";
  return "network_error";
}

export function systemViewOf(
  spec: TaskgroupSpec,
  createdAt: string,
  steps: Step[],
  deliveries: Delivery[],
): TaskgroupSystemView {
  const active: TaskgroupSystemView["steps"] = [];
  steps.forEach((s, i) => {
    if (s.state !== "queued" && s.state !== "running") return;
    // A queued step has waited since its predecessor ended (or since the group was created).
    const since = s.state === "running" ? (s.started_at ?? createdAt) : (steps[i - 1]?.ended_at ?? createdAt);
    const queue = segmentsOf(spec.steps[i]?.chain ?? [])[s.seg]?.runtime ?? "api";
    active.push({ queue, state: s.state, since });
  });
  // Only the first queued step of a group is on a queue: the later ones wait for it, not for a Worker.
  const onQueue = active.filter((s, i) => s.state === "running" || i === 0);
  const open = deliveries.filter((d) => d.state === "pending" || d.state === "waiting");
  const failed = steps.find((s) => s.state === "failed");
  return {
    steps: onQueue,
    deliveries: { pending: open.length, oldest: open.map((d) => d.created_at).sort()[0] ?? null },
    dead: deliveries.filter((d) => d.state === "dead").map(deadReason),
    failure: failed
      ? { reason: (failed.failure as FailureReason | null) ?? "unknown", at: failed.ended_at ?? createdAt }
      : null,
  };
}
