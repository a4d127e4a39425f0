import type { AttemptRecord, DeliveryState, PendingDelivery } from "./taskgroup-model";
import { json, parse, type Sql } from "./sql";

export const DELIVERY_SCHEMA = `
  CREATE TABLE deliveries (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, kind TEXT NOT NULL, url TEXT NOT NULL,
    method TEXT NOT NULL, headers TEXT NOT NULL, body TEXT NOT NULL, schedule TEXT NOT NULL,
    state TEXT NOT NULL, created_at TEXT NOT NULL, ended_at TEXT);
  CREATE TABLE delivery_attempts (delivery_id TEXT NOT NULL, n INTEGER NOT NULL, at TEXT NOT NULL,
    status INTEGER, latency_ms INTEGER NOT NULL, response TEXT NOT NULL, error TEXT, PRIMARY KEY (delivery_id, n));`;

export interface NewDelivery {
  kind: string;
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
  kind: string;
  url: string;
  method: string;
  headers: string;
  body: string;
  schedule: string;
  state: string;
  created_at: string;
  ended_at: string | null;
}

/** A taskgroup's outgoing callbacks and every attempt at them, stored in its Durable Object. */
export class DeliveryLog {
  constructor(private readonly sql: Sql) {}

  add(d: NewDelivery): string {
    // The id doubles as the Standard Webhooks `webhook-id`: stable across every retry of this message.
    const id = `msg_${crypto.randomUUID().replaceAll("-", "")}`;
    const seq = (this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries")?.n ?? 0) + 1;
    this.sql.run(
      `INSERT INTO deliveries (id, seq, kind, url, method, headers, body, schedule, state, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      id, seq, d.kind, d.url, d.method, json(d.headers), d.body, json(d.schedule), new Date().toISOString(),
    );
    return id;
  }

  private row(id: string): DeliveryRow | undefined {
    return this.sql.one<DeliveryRow>("SELECT * FROM deliveries WHERE id = ?", id);
  }

  private attemptCount(id: string): number {
    return this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM delivery_attempts WHERE delivery_id = ?", id)?.n ?? 0;
  }

  /** The request to make next, or null when this delivery is finished (a duplicate queue message). */
  pending(id: string): PendingDelivery | null {
    const r = this.row(id);
    if (!r || r.state !== "pending") return null;
    return {
      id: r.id,
      url: r.url,
      method: r.method as PendingDelivery["method"],
      headers: parse(r.headers),
      body: r.body,
      attempt: this.attemptCount(id) + 1,
    };
  }

  /** Records one attempt and decides what happens next from the schedule and the answer. */
  record(id: string, a: AttemptRecord): NextStep {
    const r = this.row(id);
    if (!r || r.state !== "pending") return { action: "done" };
    const n = this.attemptCount(id) + 1;
    this.sql.run(
      "INSERT INTO delivery_attempts (delivery_id, n, at, status, latency_ms, response, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
      id, n, a.at, a.status, a.latency_ms, a.response, a.error,
    );
    const ok = a.status !== null && a.status >= 200 && a.status < 300;
    const schedule = parse<number[]>(r.schedule);
    // 410 Gone: the receiver says this endpoint is gone for good.
    const next: NextStep = ok
      ? { action: "done" }
      : a.status === 410 || n > schedule.length
        ? { action: "dead" }
        : { action: "retry", delaySeconds: Math.max(schedule[n - 1]!, a.retry_after_s ?? 0) };
    if (next.action !== "retry") this.finish(id, next.action === "done" ? "succeeded" : "dead");
    return next;
  }

  finish(id: string, state: DeliveryState): void {
    this.sql.run("UPDATE deliveries SET state = ?, ended_at = ? WHERE id = ? AND state = 'pending'", state, new Date().toISOString(), id);
  }

  /** Sends a finished delivery again, keeping its id; its schedule starts over. */
  reopen(id: string): boolean {
    return this.sql.run("UPDATE deliveries SET state = 'pending', ended_at = NULL WHERE id = ? AND state != 'pending'", id) > 0;
  }

  list() {
    const attempts = this.sql.all<AttemptRecord & { delivery_id: string } & Record<string, SqlStorageValue>>(
      "SELECT delivery_id, at, status, latency_ms, response, error FROM delivery_attempts ORDER BY delivery_id, n",
    );
    return this.sql.all<DeliveryRow>("SELECT * FROM deliveries ORDER BY seq").map((r) => ({
      id: r.id,
      kind: r.kind,
      url: r.url,
      method: r.method,
      state: r.state as DeliveryState,
      created_at: r.created_at,
      ended_at: r.ended_at,
      attempts: attempts
        .filter((a) => a.delivery_id === r.id)
        .map(({ at, status, latency_ms, response, error }) => ({ at, status, latency_ms, response, error })),
    }));
  }
}
