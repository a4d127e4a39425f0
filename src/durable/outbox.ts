import { json, parse, type Sql } from "./sql";
import type { DeliveryMessage, StepMessage } from "../engine/types";

export const OUTBOX_SCHEMA = `
  CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body TEXT NOT NULL,
    not_before INTEGER NOT NULL, lease_until INTEGER, tries INTEGER NOT NULL DEFAULT 0, last_error TEXT);`;

export type QueueName = "steps" | "image" | "media" | "deliveries";

/** An effect of a committed transition, to be carried out after the commit (at least once). */
export type OutboxItem =
  | { kind: "send"; queue: QueueName; body: StepMessage | DeliveryMessage; delaySeconds: number }
  /** Upsert the group's row in the client's index, from the group's state at send time. */
  | { kind: "index" }
  | { kind: "index_delivery"; id: string }
  /** Look up the storage targets the group uploaded to, and queue their notify deliveries. */
  | { kind: "notify_targets" };

export interface OutboxRow {
  id: number;
  item: OutboxItem;
  tries: number;
}

/** How long one send may take before another drain may try the row again. */
const LEASE_MS = 30_000;
/** The alarm comes back for an unsent row this long after it was due: the inline drain goes first. */
export const OUTBOX_GRACE_MS = 2_000;
/** Backoff after a failed send: 1 s, 2 s, 4 s … capped at 5 min. */
const backoffMs = (tries: number) => Math.min(300_000, 1000 * 2 ** Math.min(tries, 20));

/** Effects written in the same transaction as the state change that caused them. */
export class Outbox {
  constructor(private readonly sql: Sql) {}

  add(item: OutboxItem, now: number): void {
    // The index is rebuilt from current state when sent, so one unsent row is enough.
    if (item.kind === "index" && this.sql.one("SELECT 1 AS x FROM outbox WHERE kind = 'index' AND lease_until IS NULL"))
      return;
    this.sql.run("INSERT INTO outbox (kind, body, not_before) VALUES (?, ?, ?)", item.kind, json(item), now);
  }

  /** Leases the oldest due row, so a concurrent drain in the same object does not send it too. */
  claimNext(now: number): OutboxRow | null {
    const row = this.sql.one<{ id: number; body: string; tries: number }>(
      "SELECT id, body, tries FROM outbox WHERE not_before <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id LIMIT 1",
      now,
      now,
    );
    if (!row) return null;
    this.sql.run("UPDATE outbox SET lease_until = ? WHERE id = ?", now + LEASE_MS, row.id);
    return { id: row.id, item: parse<OutboxItem>(row.body), tries: row.tries };
  }

  done(id: number): void {
    this.sql.run("DELETE FROM outbox WHERE id = ?", id);
  }

  failed(id: number, error: string, now: number): void {
    const row = this.sql.one<{ tries: number }>("SELECT tries FROM outbox WHERE id = ?", id);
    if (!row) return;
    this.sql.run(
      "UPDATE outbox SET tries = tries + 1, lease_until = NULL, not_before = ?, last_error = ? WHERE id = ?",
      now + backoffMs(row.tries),
      error.slice(0, 500),
      id,
    );
  }

  /** When the alarm must come back for the outbox, or null when it is empty. */
  nextDue(): number | null {
    return (
      this.sql.one<{ t: number | null }>(
        "SELECT MIN(COALESCE(lease_until, not_before + ?)) AS t FROM outbox",
        OUTBOX_GRACE_MS,
      )?.t ?? null
    );
  }

  size(): number {
    return this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM outbox")?.n ?? 0;
  }
}
