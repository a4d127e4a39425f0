/**
 * A channel's next delivery is handed to the invocation that records the one before it (no queue round
 * trip): claimed for that invocation, replayed when the record is repeated, and recovered by the
 * watchdog when that invocation dies before recording it.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DeliveryLog } from "../src/durable/delivery-log";
import { Outbox } from "../src/durable/outbox";
import { Sql } from "../src/durable/sql";
import type { Taskgroup } from "../src/durable/taskgroup";
import type { AttemptRecord, NewDelivery } from "../src/engine/types";

const delivery = (n: number): NewDelivery => ({
  channel: "callback:0",
  kind: "callback",
  event: `event-${n}`,
  url: "https://receiver.test/hook",
  method: "POST",
  headers: [],
  body: `{"n":${n}}`,
  schedule: [5, 30],
});
const ok: AttemptRecord = {
  ok: true,
  at: "",
  status: 200,
  latency_ms: 1,
  response: "",
  error: null,
  retry_after_s: null,
};

/** A DeliveryLog on the storage of a fresh Taskgroup object (its tables exist; it holds no group). */
async function withLog<T>(fn: (log: DeliveryLog, outbox: Outbox, sql: Sql) => T): Promise<T> {
  const stub = env.TASKGROUPS.get(env.TASKGROUPS.idFromName(`handoff/${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_: Taskgroup, state) => {
    const sql = new Sql(state.storage);
    const outbox = new Outbox(sql);
    return fn(new DeliveryLog(sql, outbox, { client: "c", taskgroupId: "t" }), outbox, sql);
  });
}

const queued = (sql: Sql) => sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'send'")!.n;

describe("delivery handoff", () => {
  it("hands a channel's next delivery to the recording invocation, in order, without a queue message", async () => {
    await withLog((log, _outbox, sql) => {
      const now = 1_000_000;
      const ids = [1, 2, 3].map((n) => log.add(delivery(n), now));
      expect(queued(sql)).toBe(1); // only the first goes out through the queue
      const token = sql.one<{ token: string }>("SELECT token FROM deliveries WHERE id = ?", ids[0]!)!.token;
      const claim = log.claim(ids[0]!, token, "m1", 1, now);
      expect(claim.type).toBe("claimed");
      const first = log.record(ids[0]!, token, "m1", ok, now, { holder: "m1/1", delivery: 1 });
      expect(first?.handed?.delivery.id).toBe(ids[1]);
      expect(first?.handed?.delivery.body).toBe('{"n":2}');
      // The record is repeated (its answer was lost): the same handover comes back, nothing changes.
      const again = log.record(ids[0]!, token, "m1", ok, now, { holder: "m1/1", delivery: 1 });
      expect(again?.handed).toEqual(first?.handed);
      // Without a handoff the next one goes through the queue as before.
      const second = log.record(ids[1]!, first!.handed!.token, "m1/1", ok, now);
      expect(second?.handed).toBeNull();
      expect(queued(sql)).toBe(2);
      expect(log.state(ids[2]!)).toBe("pending");
      expect(log.list().map((d) => [d.id, d.state, d.attempts.length])).toEqual([
        [ids[0], "succeeded", 1],
        [ids[1], "succeeded", 1],
        [ids[2], "pending", 0],
      ]);
    });
  });

  it("a handed delivery whose invocation died is found by the watchdog when its lease ends, and sent again", async () => {
    await withLog((log, outbox, sql) => {
      const now = 2_000_000;
      const ids = [1, 2].map((n) => log.add(delivery(n), now));
      const token = sql.one<{ token: string }>("SELECT token FROM deliveries WHERE id = ?", ids[0]!)!.token;
      log.claim(ids[0]!, token, "m1", 1, now);
      const handed = log.record(ids[0]!, token, "m1", ok, now, { holder: "m1/1", delivery: 1 })!.handed!;
      expect(handed.delivery.id).toBe(ids[1]);
      const sendsBefore = queued(sql);
      // Nothing records it. Within its lease the watchdog leaves it alone …
      log.watch(now + 30_000);
      expect(queued(sql)).toBe(sendsBefore);
      // … after it, the send counts as a failed attempt and the schedule sends it again through the queue.
      expect(log.nextDue()).toBeLessThanOrEqual(now + 60_000);
      log.watch(now + 60_001);
      const [, second] = log.list();
      expect(second?.state).toBe("pending");
      expect(second?.attempts.map((a) => a.error)).toEqual(["the attempt was interrupted before it finished"]);
      expect(queued(sql)).toBe(sendsBefore + 1);
      expect(outbox.size()).toBeGreaterThan(0);
      // The dead invocation's late record changes nothing.
      expect(log.record(ids[1]!, handed.token, "m1/1", ok, now + 60_002)).toBeNull();
    });
  });
});
