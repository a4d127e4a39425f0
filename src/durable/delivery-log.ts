import type { AttemptRecord, DeliveryState, PendingDelivery } from "./taskgroup-model";
import { json, parse, type Sql } from "./sql";

export const DELIVERY_SCHEMA = `
  CREATE TABLE deliveries (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL,
    event TEXT NOT NULL, url TEXT NOT NULL, method TEXT NOT NULL, headers TEXT NOT NULL, body TEXT NOT NULL,
    schedule TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL, ended_at TEXT);
  CREATE INDEX deliveries_by_channel ON deliveries (channel, seq);
  CREATE TABLE delivery_attempts (delivery_id TEXT NOT NULL, n INTEGER NOT NULL, at TEXT NOT NULL,
    status INTEGER, latency_ms INTEGER NOT NULL, response TEXT NOT NULL, error TEXT, PRIMARY KEY (delivery_id, n));`;

export interface NewDelivery {
  /** Deliveries of one channel (one callback, the webhook_url, one storage notify) go out one at a time, in order. */
  channel: string;
  kind: "webhook_url" | "callback" | "notify" | "email";
  event: string;
  url: string;
  method: "POST" | "PUT" | "GET";
  headers: [string, string][];
  body: string;
  /** Delay before each retry, seconds; its length bounds the retries. */
  schedule: number[];
}

export type NextStep = { action: "done" } | { action: "retry"; delaySeconds: number } | { action: "dead" };

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
}

export interface DeliveryEnded {
  id: string;
  state: DeliveryState;
  /** The next delivery of the same channel, now due to be sent. */
  next: string | null;
}

/** A taskgroup's outgoing callbacks and every attempt at them, stored in its Durable Object. */
export class DeliveryLog {
  constructor(private readonly sql: Sql) {}

  /** Records a delivery; returns its id and whether it may be sent now (nothing earlier in its channel is unfinished). */
  add(d: NewDelivery): { id: string; sendNow: boolean } {
    // The id doubles as the Standard Webhooks `webhook-id`: stable across every retry of this message.
    const id = `msg_${crypto.randomUUID().replaceAll("-", "")}`;
    const seq = (this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries")?.n ?? 0) + 1;
    const busy = this.sql.one("SELECT 1 AS x FROM deliveries WHERE channel = ? AND state IN ('pending', 'waiting')", d.channel) !== undefined;
    this.sql.run(
      `INSERT INTO deliveries (id, seq, channel, kind, event, url, method, headers, body, schedule, state, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id, seq, d.channel, d.kind, d.event, d.url, d.method, json(d.headers), d.body, json(d.schedule),
      busy ? "waiting" : "pending", new Date().toISOString(),
    );
    return { id, sendNow: !busy };
  }

  private row(id: string): DeliveryRow | undefined {
    return this.sql.one<DeliveryRow>("SELECT * FROM deliveries WHERE id = ?", id);
  }

  private attemptCount(id: string): number {
    return this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM delivery_attempts WHERE delivery_id = ?", id)?.n ?? 0;
  }

  /** The request to make next, or null when this delivery is not being attempted (finished, or a duplicate message). */
  pending(id: string): PendingDelivery | null {
    const r = this.row(id);
    if (!r || r.state !== "pending") return null;
    return {
      id: r.id,
      seq: r.seq,
      url: r.url,
      method: r.method as PendingDelivery["method"],
      headers: parse(r.headers),
      body: r.body,
      attempt: this.attemptCount(id) + 1,
    };
  }

  /** Records one attempt and decides what happens next from the schedule and the answer. */
  record(id: string, a: AttemptRecord): { next: NextStep; ended: DeliveryEnded | null } {
    const r = this.row(id);
    if (!r || r.state !== "pending") return { next: { action: "done" }, ended: null };
    const n = this.attemptCount(id) + 1;
    this.sql.run(
      "INSERT INTO delivery_attempts (delivery_id, n, at, status, latency_ms, response, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
      id, n, a.at, a.status, a.latency_ms, a.response, a.error,
    );
    const schedule = parse<number[]>(r.schedule);
    // 410 Gone: the receiver says this endpoint is gone for good.
    const next: NextStep = a.ok
      ? { action: "done" }
      : a.status === 410 || n > schedule.length
        ? { action: "dead" }
        : { action: "retry", delaySeconds: Math.max(schedule[n - 1]!, a.retry_after_s ?? 0) };
    if (next.action === "retry") return { next, ended: null };
    return { next, ended: this.finish(id, next.action === "done" ? "succeeded" : "dead") };
  }

  /** Ends a pending delivery and releases the next one waiting in its channel. */
  finish(id: string, state: DeliveryState): DeliveryEnded | null {
    const r = this.row(id);
    if (!r || r.state !== "pending") return null;
    this.sql.run("UPDATE deliveries SET state = ?, ended_at = ? WHERE id = ?", state, new Date().toISOString(), id);
    const waiting = this.sql.one<{ id: string }>(
      "SELECT id FROM deliveries WHERE channel = ? AND state = 'waiting' ORDER BY seq LIMIT 1",
      r.channel,
    );
    if (waiting) this.sql.run("UPDATE deliveries SET state = 'pending' WHERE id = ?", waiting.id);
    return { id, state, next: waiting?.id ?? null };
  }

  /** Sends a dead delivery again, keeping its id; its schedule starts over. */
  reopen(id: string): boolean {
    return this.sql.run("UPDATE deliveries SET state = 'pending', ended_at = NULL WHERE id = ? AND state = 'dead'", id) > 0;
  }

  state(id: string): DeliveryState | "waiting" | null {
    return (this.row(id)?.state as DeliveryState | "waiting" | undefined) ?? null;
  }

  summary(id: string) {
    const r = this.row(id);
    return r && { id: r.id, kind: r.kind, event: r.event, url: r.url, state: r.state, attempts: this.attemptCount(id), ended_at: r.ended_at };
  }

  list() {
    const attempts = this.sql.all<Omit<AttemptRecord, "ok" | "retry_after_s"> & { delivery_id: string } & Record<string, SqlStorageValue>>(
      "SELECT delivery_id, at, status, latency_ms, response, error FROM delivery_attempts ORDER BY delivery_id, n",
    );
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
