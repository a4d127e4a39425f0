import { segmentsOf } from "../adapters/catalog";
import { planDeliveries } from "../delivery/plan";
import type { TaskgroupSnapshot } from "../delivery/render";
import type { DeliveryLog } from "./delivery-log";
import type { Transition } from "./taskgroup-machine";
import type { Outbox } from "./outbox";
import { json, parse, type Sql } from "./sql";
import type { InfoRow } from "./taskgroup-view";
import type { StepMessage, TaskgroupSpec } from "../engine/types";

/** Columns the machine's step patches may set; JSON ones are serialised. */
const STEP_COLUMNS = new Set([
  "state",
  "attempts",
  "seg_attempts",
  "seg",
  "token",
  "run",
  "holder",
  "holder_try",
  "deadline",
  "progress",
  "results",
  "started_at",
  "ended_at",
  "error",
  "failure",
  "output",
  "seg_input",
  "first_started_ms",
]);
const JSON_COLUMNS = new Set(["results", "output", "seg_input"]);

const QUEUE_OF = { api: "steps", image: "image", media: "media" } as const;

/**
 * Writes one transition of the machine to the Taskgroup's tables and its effects to the outbox (or,
 * for events, to the delivery log); the caller holds the transaction. `emitTo` is asked only when
 * the transition emits, for the log and a snapshot taken after the changes above.
 */
export function writeTransition(
  sql: Sql,
  outbox: Outbox,
  info: InfoRow,
  t: Transition,
  now: number,
  emitTo: () => { log: DeliveryLog; snapshot: TaskgroupSnapshot },
): void {
  const set = Object.entries(t.info);
  if (set.length)
    sql.run(`UPDATE info SET ${set.map(([k]) => `${k} = ?`).join(", ")}`, ...set.map(([, v]) => v as SqlStorageValue));
  for (const [idx, patch] of t.steps) {
    const cols = Object.entries(patch).filter(([k]) => STEP_COLUMNS.has(k));
    if (!cols.length) continue;
    sql.run(
      `UPDATE steps SET ${cols.map(([k]) => `${k} = ?`).join(", ")} WHERE idx = ?`,
      ...cols.map(([k, v]) => (JSON_COLUMNS.has(k) ? (v === null ? null : json(v)) : (v as SqlStorageValue))),
      idx,
    );
  }
  for (const e of t.effects) {
    switch (e.type) {
      case "enqueue":
      case "resend": {
        let token = sql.one<{ token: string | null }>("SELECT token FROM steps WHERE idx = ?", e.idx)?.token ?? null;
        if (e.type === "enqueue" || token === null) {
          token = crypto.randomUUID();
          sql.run("UPDATE steps SET token = ? WHERE idx = ?", token, e.idx);
        }
        const row = sql.one<{ seg: number }>("SELECT seg FROM steps WHERE idx = ?", e.idx)!;
        const spec = parse<TaskgroupSpec>(info.spec);
        const runtime = segmentsOf(spec.steps[e.idx]!.chain)[row.seg]!.runtime;
        const body: StepMessage = { client: info.client, taskgroupId: info.id, step: e.idx, token };
        const delaySeconds = e.type === "enqueue" ? e.delaySeconds : 0;
        outbox.add({ kind: "send", queue: QUEUE_OF[runtime], body, delaySeconds }, now);
        break;
      }
      case "emit": {
        const { log, snapshot } = emitTo();
        for (const d of planDeliveries(e.event, snapshot)) log.add(d, now);
        break;
      }
      case "index":
      case "notify_targets":
        outbox.add({ kind: e.type }, now);
        break;
      default: {
        const unreachable: never = e;
        throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
      }
    }
  }
}
