import { decideLease } from "../engine/lease";
import type { Outbox } from "./outbox";
import { json, parse, type Sql } from "./sql";
import { afterAttempt, type NextStep } from "../delivery/schedule";
import type { AttemptRecord, DeliveryState, NewDelivery, PendingDelivery } from "../engine/types";

export const DELIVERY_SCHEMA = `
  CREATE TABLE deliveries (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL,
    event TEXT NOT NULL, url TEXT NOT NULL, method TEXT NOT NULL, headers TEXT NOT NULL, body TEXT NOT NULL,
    schedule TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL, ended_at TEXT);
  CREATE INDEX deliveries_by_channel ON deliveries (channel, seq);
  CREATE TABLE delivery_attempts (delivery_id TEXT NOT NULL, n INTEGER NOT NULL, at TEXT NOT NULL,
    status INTEGER, latency_ms INTEGER NOT NULL, response TEXT NOT NULL, error TEXT, PRIMARY KEY (delivery_id, n));`;

/** v3: each send of a delivery is a fresh queue message under a token, held by one invocation at a time. */
export const DELIVERY_LEASES = `
  ALTER TABLE deliveries ADD COLUMN token TEXT;
  ALTER TABLE deliveries ADD COLUMN holder TEXT;
  ALTER TABLE deliveries ADD COLUMN holder_try INTEGER;
  ALTER TABLE deliveries ADD COLUMN lease_until INTEGER;
  ALTER TABLE deliveries ADD COLUMN due_at INTEGER;
  ALTER TABLE deliveries ADD COLUMN round_start INTEGER NOT NULL DEFAULT 0;`;

/** One attempt holds its delivery this long (the request times out after 10 s). */
const LEASE_MS = 60_000;
/** A message not claimed this long after it was due is taken as lost and sent again. */
const LOST_AFTER_MS = 10 * 60_000;

interface DeliveryRow extends Record<string, SqlStorageValue> {
  id: string;
  seq: number;
  channel: string;
  kind: string;
  event: string;
  url: string;
  method: string;
  headers: string;
  body: string;
  schedule: string;
  state: string;
  created_at: string;
  ended_at: string | null;
  token: string | null;
  holder: string | null;
  holder_try: number | null;
  lease_until: number | null;
  due_at: number | null;
  round_start: number;
}

export type DeliveryClaim = { type: "claimed"; delivery: PendingDelivery } | { type: "busy" } | { type: "ignored" };

/**
 * The next delivery of a channel, claimed for the invocation that just recorded the one before it, so
 * it is sent at once instead of after a queue round trip. It has no queue message: if that invocation
 * dies, the watchdog finds its lease run out and counts the attempt as failed (the schedule goes on).
 */
export interface HandedDelivery {
  token: string;
  /** The holder the record of this send must name (the invocation's message id, suffixed). */
  holder: string;
  delivery: PendingDelivery;
}

/** Who a handed-over delivery is claimed for: the invocation's holder name and its message's delivery count. */
export interface Handoff {
  holder: string;
  delivery: number;
}

/**
 * A taskgroup's outgoing callbacks and every attempt at them. Every change here happens inside the
 * Taskgroup's transaction and writes the queue messages it needs to the outbox in the same commit.
 */
export class DeliveryLog {
  constructor(
    private readonly sql: Sql,
    private readonly outbox: Outbox,
    private readonly address: { client: string; taskgroupId: string },
  ) {}

  /** Records a delivery; it is sent now unless something earlier in its channel is unfinished. */
  add(d: NewDelivery, now: number): string {
    // The id doubles as the Standard Webhooks `webhook-id`: stable across every retry of this message.
    const id = `msg_${crypto.randomUUID().replaceAll("-", "")}`;
    const seq = (this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries")?.n ?? 0) + 1;
    const busy = this.channelBusy(d.channel);
    this.sql.run(
      `INSERT INTO deliveries (id, seq, channel, kind, event, url, method, headers, body, schedule, state, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?)`,
      id,
      seq,
      d.channel,
      d.kind,
      d.event,
      d.url,
      d.method,
      json(d.headers),
      d.body,
      json(d.schedule),
      new Date(now).toISOString(),
    );
    if (!busy) this.dispatch(id, 0, now);
    return id;
  }

  private channelBusy(channel: string): boolean {
    return this.sql.one("SELECT 1 AS x FROM deliveries WHERE channel = ? AND state = 'pending'", channel) !== undefined;
  }

  /**
   * Makes the delivery pending and writes its queue message to the outbox: under a fresh token, or
   * under `keepToken` to send the same message again (the watchdog), which leaves the first valid.
   */
  private dispatch(id: string, delaySeconds: number, now: number, keepToken?: string): void {
    const token = keepToken ?? crypto.randomUUID();
    this.sql.run(
      "UPDATE deliveries SET state = 'pending', token = ?, holder = NULL, holder_try = NULL, lease_until = NULL, due_at = ? WHERE id = ?",
      token,
      now + delaySeconds * 1000,
      id,
    );
    this.outbox.add(
      { kind: "send", queue: "deliveries", body: { ...this.address, deliveryId: id, token }, delaySeconds },
      now,
    );
  }

  private row(id: string): DeliveryRow | undefined {
    return this.sql.one<DeliveryRow>("SELECT * FROM deliveries WHERE id = ?", id);
  }

  private attemptCount(id: string): number {
    return this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM delivery_attempts WHERE delivery_id = ?", id)?.n ?? 0;
  }

  /**
   * Hands the delivery to the invocation of message `messageId` (delivered for the `delivery`-th time).
   * A second message for the same send finds it held and is told it is busy.
   */
  claim(id: string, token: string, messageId: string, delivery: number, now: number): DeliveryClaim {
    const r = this.row(id);
    if (r?.state !== "pending" || (r.token !== null && r.token !== token)) return { type: "ignored" };
    const lease = decideLease(
      { holder: r.holder, holderTry: r.holder_try, until: r.lease_until },
      messageId,
      delivery,
      now,
    );
    if (lease === "busy") return { type: "busy" };
    if (lease === "take_over") {
      // The holder stopped before recording its attempt: that attempt counts as failed, and the
      // schedule's next message (or the dead letter) follows from there.
      this.interrupted(r, now);
      return { type: "ignored" };
    }
    this.sql.run(
      "UPDATE deliveries SET holder = ?, holder_try = ?, lease_until = ? WHERE id = ?",
      messageId,
      delivery,
      now + LEASE_MS,
      id,
    );
    return { type: "claimed", delivery: this.pending(r) };
  }

  private pending(r: DeliveryRow): PendingDelivery {
    return {
      id: r.id,
      seq: r.seq,
      url: r.url,
      method: r.method as PendingDelivery["method"],
      headers: parse(r.headers),
      body: r.body,
      attempt: this.attemptCount(r.id) + 1,
    };
  }

  /**
   * Records the attempt of the invocation holding the delivery, then sends again, ends it, or lets the
   * next go: to that invocation when it asks (`handoff`), else through the queue.
   */
  record(
    id: string,
    token: string,
    holder: string,
    a: AttemptRecord,
    now: number,
    handoff?: Handoff,
  ): { next: NextStep | null; handed: HandedDelivery | null } | null {
    const r = this.row(id);
    if (r?.state !== "pending" || r.holder !== holder || (r.token !== null && r.token !== token)) {
      // A repeat of a record that committed (its answer was lost to a reset) gets the same handover,
      // so the next send is not left held until the watchdog finds its lease run out.
      const handed =
        r && handoff
          ? this.sql.one<DeliveryRow>(
              "SELECT * FROM deliveries WHERE channel = ? AND state = 'pending' AND holder = ?",
              r.channel,
              handoff.holder,
            )
          : undefined;
      return handed
        ? { next: null, handed: { token: handed.token!, holder: handoff!.holder, delivery: this.pending(handed) } }
        : null;
    }
    return this.applyAttempt(r, a, now, handoff);
  }

  private applyAttempt(
    r: DeliveryRow,
    a: AttemptRecord,
    now: number,
    handoff?: Handoff,
  ): { next: NextStep; handed: HandedDelivery | null } {
    const n = this.attemptCount(r.id) + 1;
    this.sql.run(
      "INSERT INTO delivery_attempts (delivery_id, n, at, status, latency_ms, response, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
      r.id,
      n,
      a.at,
      a.status,
      a.latency_ms,
      a.response,
      a.error,
    );
    const next = afterAttempt(parse<number[]>(r.schedule), n - r.round_start, a);
    if (next.action === "retry") {
      this.dispatch(r.id, next.delaySeconds, now);
      return { next, handed: null };
    }
    return { next, handed: this.finish(r, next.action === "done" ? "succeeded" : "dead", now, handoff) };
  }

  private interrupted(r: DeliveryRow, now: number): void {
    const started = (r.lease_until ?? now) - LEASE_MS;
    this.applyAttempt(
      r,
      {
        ok: false,
        at: new Date(started).toISOString(),
        status: null,
        latency_ms: Math.max(0, now - started),
        response: "",
        error: "the attempt was interrupted before it finished",
        retry_after_s: null,
      },
      now,
    );
  }

  /** Ends a delivery and releases the next one waiting in its channel: handed over when asked, else queued. */
  private finish(r: DeliveryRow, state: DeliveryState, now: number, handoff?: Handoff): HandedDelivery | null {
    this.sql.run(
      "UPDATE deliveries SET state = ?, ended_at = ?, token = NULL, holder = NULL, lease_until = NULL, due_at = NULL WHERE id = ?",
      state,
      new Date(now).toISOString(),
      r.id,
    );
    this.outbox.add({ kind: "index_delivery", id: r.id }, now);
    const waiting = this.sql.one<{ id: string }>(
      "SELECT id FROM deliveries WHERE channel = ? AND state = 'waiting' ORDER BY seq LIMIT 1",
      r.channel,
    );
    if (!waiting || this.channelBusy(r.channel)) return null;
    if (!handoff) {
      this.dispatch(waiting.id, 0, now);
      return null;
    }
    const token = crypto.randomUUID();
    this.sql.run(
      "UPDATE deliveries SET state = 'pending', token = ?, holder = ?, holder_try = ?, lease_until = ?, due_at = ? WHERE id = ?",
      token,
      handoff.holder,
      handoff.delivery,
      now + LEASE_MS,
      now,
      waiting.id,
    );
    return { token, holder: handoff.holder, delivery: this.pending(this.row(waiting.id)!) };
  }

  /** The queue gave up on a message (its consumer kept failing): the delivery is dead, never left pending. */
  deadLetter(id: string, token: string | undefined, now: number): void {
    const r = this.row(id);
    if (r?.state !== "pending" || (token !== undefined && r.token !== null && r.token !== token)) return;
    this.finish(r, "dead", now);
  }

  /**
   * Sends a dead delivery again with the same id, with a fresh count of attempts on its schedule.
   * Its channel's order holds: behind a message in flight, it waits its turn.
   */
  redeliver(id: string, now: number): "sent" | "not_found" | "not_dead" {
    const r = this.row(id);
    if (!r) return "not_found";
    if (r.state !== "dead") return "not_dead";
    this.sql.run(
      "UPDATE deliveries SET state = 'waiting', ended_at = NULL, round_start = ? WHERE id = ?",
      this.attemptCount(id),
      id,
    );
    if (!this.channelBusy(r.channel)) this.dispatch(id, 0, now);
    return "sent";
  }

  /**
   * Watchdog: a send whose holder vanished counts as a failed attempt; a message never claimed is sent
   * again under the same token. It may be lost, or only waiting behind a backlog: a fresh token would
   * void the waiting original and queue the delivery at the back again, each time. With the same one,
   * whichever copy comes first claims it and the other finds it held or ended (harmless), and
   * `due_at` moves on so one copy goes per LOST_AFTER_MS at most.
   */
  watch(now: number): void {
    for (const r of this.sql.all<DeliveryRow>("SELECT * FROM deliveries WHERE state = 'pending'")) {
      if (r.holder !== null && (r.lease_until ?? 0) <= now) this.interrupted(r, now);
      else if (r.holder === null && r.due_at !== null && r.due_at + LOST_AFTER_MS <= now)
        this.dispatch(r.id, 0, now, r.token ?? undefined);
    }
  }

  /** When the watchdog must look again, or null when nothing is pending. */
  nextDue(): number | null {
    return (
      this.sql.one<{ t: number | null }>(
        "SELECT MIN(CASE WHEN holder IS NULL THEN due_at + ? ELSE lease_until END) AS t FROM deliveries WHERE state = 'pending'",
        LOST_AFTER_MS,
      )?.t ?? null
    );
  }

  state(id: string): DeliveryState | "waiting" | null {
    return (this.row(id)?.state as DeliveryState | "waiting" | undefined) ?? null;
  }

  summary(id: string) {
    const r = this.row(id);
    return (
      r && {
        id: r.id,
        kind: r.kind,
        event: r.event,
        url: r.url,
        state: r.state,
        attempts: this.attemptCount(id),
        ended_at: r.ended_at,
      }
    );
  }

  list() {
    const attempts = this.sql.all<
      Omit<AttemptRecord, "ok" | "retry_after_s"> & { delivery_id: string } & Record<string, SqlStorageValue>
    >("SELECT delivery_id, at, status, latency_ms, response, error FROM delivery_attempts ORDER BY delivery_id, n");
    return this.sql.all<DeliveryRow>("SELECT * FROM deliveries ORDER BY seq").map((r) => ({
      id: r.id,
      seq: r.seq,
      kind: r.kind,
      event: r.event,
      url: r.url,
      method: r.method,
      state: r.state as DeliveryState | "waiting",
      created_at: r.created_at,
      ended_at: r.ended_at,
      attempts: attempts
        .filter((a) => a.delivery_id === r.id)
        .map(({ at, status, latency_ms, response, error }) => ({ at, status, latency_ms, response, error })),
    }));
  }
}
