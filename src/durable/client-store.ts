import { DurableObject } from "cloudflare:workers";
import { newWebhookSecret, sha256Hex, timingSafeEqualText } from "../lib/crypto";
import { json, parse, Sql } from "./sql";
import { configOf } from "../lib/config";
import { filesOf, r2Keys } from "../lib/files";
import {
  UPLOADS_FENCE_SCHEMA,
  UPLOADS_SCHEMA,
  UploadStore,
  type LockResult,
  type LostLock,
  type Upload,
  type UploadPart,
} from "./upload-store";
import type { SigningSecrets } from "../engine/types";

/** How long a rotated-out webhook secret keeps signing (24 h, as documented). */
const SECRET_OVERLAP_MS = 24 * 3600 * 1000;

const MIGRATIONS = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE api_keys (prefix TEXT PRIMARY KEY, hash TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE configurations (name TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT NOT NULL);
   CREATE TABLE storage_targets (name TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT NOT NULL);
   CREATE TABLE assets (name TEXT PRIMARY KEY, size INTEGER NOT NULL, content_type TEXT NOT NULL,
     etag TEXT NOT NULL, uploaded TEXT NOT NULL);
   CREATE TABLE taskgroups (id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL,
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
   CREATE INDEX taskgroups_by_created ON taskgroups (created_at DESC, id DESC);
   CREATE TABLE deliveries (id TEXT PRIMARY KEY, task_id TEXT NOT NULL, kind TEXT NOT NULL, event TEXT NOT NULL,
     url TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, ended_at TEXT);
   CREATE INDEX deliveries_by_state ON deliveries (state, ended_at DESC);
   CREATE TABLE idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, task_id TEXT NOT NULL, created_at INTEGER NOT NULL);`,
  UPLOADS_SCHEMA,
  UPLOADS_FENCE_SCHEMA,
];

/** How long an Idempotency-Key is remembered. */
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** A stored JSON document (configuration or sealed storage target); callers know its shape. */
export type Doc = Record<string, unknown>;

export interface AssetMeta {
  name: string;
  size: number;
  content_type: string;
  etag: string;
  uploaded: string;
}

export interface TaskgroupIndexRow {
  id: string;
  kind: string;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface DeliveryIndexRow {
  id: string;
  task_id: string;
  kind: string;
  event: string;
  url: string;
  state: string;
  attempts: number;
  ended_at: string | null;
}

/** One client's own data: keys, webhook secret, configurations, storage targets, asset and taskgroup indexes. */
export class ClientStore extends DurableObject<Env> {
  private readonly sql: Sql;
  private readonly uploads: UploadStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage);
    this.sql.migrate(MIGRATIONS);
    this.uploads = new UploadStore(this.sql);
  }

  private meta(key: string): string | undefined {
    return this.sql.one<{ value: string }>("SELECT value FROM meta WHERE key = ?", key)?.value;
  }

  private setMeta(key: string, value: string): void {
    this.sql.run(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }

  /** Creates the client once; later calls change nothing. */
  async initialize(name: string): Promise<void> {
    if (this.meta("name")) return;
    this.setMeta("name", name);
    this.setMeta("webhook_secret", newWebhookSecret());
    this.setMeta("created_at", new Date().toISOString());
  }

  async profile(): Promise<{ client: string; webhook_secret: string } | null> {
    const name = this.meta("name");
    const secret = this.meta("webhook_secret");
    return name && secret ? { client: name, webhook_secret: secret } : null;
  }

  async signingSecrets(): Promise<SigningSecrets> {
    const current = this.meta("webhook_secret")!;
    const previous = this.meta("previous_secret");
    const until = Number(this.meta("previous_secret_until") ?? 0);
    return previous && until > Date.now() ? { current, previous } : { current };
  }

  async rotateWebhookSecret(): Promise<{ webhook_secret: string; previous_valid_until: string }> {
    const until = new Date(Date.now() + SECRET_OVERLAP_MS);
    this.setMeta("previous_secret", this.meta("webhook_secret")!);
    this.setMeta("previous_secret_until", String(until.getTime()));
    const secret = newWebhookSecret();
    this.setMeta("webhook_secret", secret);
    return { webhook_secret: secret, previous_valid_until: until.toISOString() };
  }

  // ---- API keys (only SHA-256 hashes are kept) ----

  async addKey(prefix: string, key: string): Promise<void> {
    this.sql.run(
      "INSERT OR REPLACE INTO api_keys (prefix, hash, created_at) VALUES (?, ?, ?)",
      prefix,
      await sha256Hex(key),
      new Date().toISOString(),
    );
  }

  async revokeKey(prefix: string): Promise<boolean> {
    return this.sql.run("DELETE FROM api_keys WHERE prefix = ?", prefix) > 0;
  }

  async verifyKey(prefix: string, key: string): Promise<boolean> {
    const row = this.sql.one<{ hash: string }>("SELECT hash FROM api_keys WHERE prefix = ?", prefix);
    // Compare against a dummy when the prefix is unknown so timing does not reveal which prefixes exist.
    const ok = await timingSafeEqualText(row?.hash ?? "0".repeat(64), await sha256Hex(key));
    return ok && row !== undefined;
  }

  // ---- configurations and storage targets: JSON documents by name ----

  async putDocument(
    table: "configurations" | "storage_targets",
    name: string,
    body: unknown,
  ): Promise<{ created: boolean; updated_at: string }> {
    const existed = this.sql.one(`SELECT 1 AS x FROM ${table} WHERE name = ?`, name) !== undefined;
    const updatedAt = new Date().toISOString();
    this.sql.run(
      `INSERT OR REPLACE INTO ${table} (name, body, updated_at) VALUES (?, ?, ?)`,
      name,
      json(body),
      updatedAt,
    );
    return { created: !existed, updated_at: updatedAt };
  }

  async getDocument(table: "configurations" | "storage_targets", name: string): Promise<Doc | null> {
    const row = this.sql.one<{ body: string; updated_at: string }>(
      `SELECT body, updated_at FROM ${table} WHERE name = ?`,
      name,
    );
    return row ? { ...parse<Doc>(row.body), updated_at: row.updated_at } : null;
  }

  async getDocuments(table: "configurations" | "storage_targets", names: string[]): Promise<Record<string, Doc>> {
    const out: Record<string, Doc> = {};
    for (const name of names) {
      const row = this.sql.one<{ body: string }>(`SELECT body FROM ${table} WHERE name = ?`, name);
      if (row) out[name] = parse<Doc>(row.body);
    }
    return out;
  }

  async listDocuments(table: "configurations" | "storage_targets"): Promise<Doc[]> {
    return this.sql
      .all<{ name: string; body: string; updated_at: string }>(
        `SELECT name, body, updated_at FROM ${table} ORDER BY name`,
      )
      .map((r) => ({ ...parse<Doc>(r.body), name: r.name, updated_at: r.updated_at }));
  }

  async deleteDocument(table: "configurations" | "storage_targets", name: string): Promise<boolean> {
    return this.sql.run(`DELETE FROM ${table} WHERE name = ?`, name) > 0;
  }

  // ---- asset index (bytes live in R2) ----

  async putAsset(meta: AssetMeta): Promise<void> {
    this.sql.run(
      "INSERT OR REPLACE INTO assets (name, size, content_type, etag, uploaded) VALUES (?, ?, ?, ?, ?)",
      meta.name,
      meta.size,
      meta.content_type,
      meta.etag,
      meta.uploaded,
    );
  }

  async getAsset(name: string): Promise<AssetMeta | null> {
    return (
      this.sql.one<AssetMeta & Record<string, SqlStorageValue>>("SELECT * FROM assets WHERE name = ?", name) ?? null
    );
  }

  async listAssets(): Promise<AssetMeta[]> {
    return this.sql.all<AssetMeta & Record<string, SqlStorageValue>>("SELECT * FROM assets ORDER BY name");
  }

  async deleteAsset(name: string): Promise<boolean> {
    return this.sql.run("DELETE FROM assets WHERE name = ?", name) > 0;
  }

  // ---- rate limit: a fixed one-minute window per client, kept in memory (one object per client) ----

  private window = { start: 0, count: 0 };

  /** Counts one trigger request; over `perMinute`, answers how many seconds until the window resets. */
  async takeTriggerToken(perMinute: number): Promise<{ allowed: boolean; retryAfterS: number }> {
    const now = Date.now();
    if (now - this.window.start >= 60_000) this.window = { start: now, count: 0 };
    const retryAfterS = Math.max(1, Math.ceil((this.window.start + 60_000 - now) / 1000));
    if (this.window.count >= perMinute) return { allowed: false, retryAfterS };
    this.window.count++;
    return { allowed: true, retryAfterS: 0 };
  }

  // ---- Idempotency-Key: reserved before anything starts, so two racing repeats start one taskgroup ----

  /** Reserves `key` for `taskId`, or returns the task that already holds it (conflict when the body differs). */
  async reserveIdempotencyKey(
    key: string,
    fingerprint: string,
    taskId: string,
  ): Promise<{ taskId: string; conflict: boolean }> {
    this.sql.run("DELETE FROM idempotency WHERE created_at < ?", Date.now() - IDEMPOTENCY_TTL_MS);
    const prior = this.sql.one<{ fingerprint: string; task_id: string }>(
      "SELECT fingerprint, task_id FROM idempotency WHERE key = ?",
      key,
    );
    if (prior) return { taskId: prior.task_id, conflict: prior.fingerprint !== fingerprint };
    this.sql.run(
      "INSERT INTO idempotency (key, fingerprint, task_id, created_at) VALUES (?, ?, ?, ?)",
      key,
      fingerprint,
      taskId,
      Date.now(),
    );
    return { taskId, conflict: false };
  }

  /** Frees `key` if it is still bound to `taskId`: that taskgroup was never stored. */
  async releaseIdempotencyKey(key: string, taskId: string): Promise<void> {
    this.sql.run("DELETE FROM idempotency WHERE key = ? AND task_id = ?", key, taskId);
  }

  // ---- delivery index: finished deliveries, so dead letters can be listed across taskgroups ----

  async indexDelivery(d: DeliveryIndexRow): Promise<void> {
    this.sql.run(
      "INSERT OR REPLACE INTO deliveries (id, task_id, kind, event, url, state, attempts, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      d.id,
      d.task_id,
      d.kind,
      d.event,
      d.url,
      d.state,
      d.attempts,
      d.ended_at,
    );
  }

  async listDeliveries(state: string, limit: number): Promise<DeliveryIndexRow[]> {
    return this.sql.all<DeliveryIndexRow & Record<string, SqlStorageValue>>(
      "SELECT * FROM deliveries WHERE state = ? ORDER BY ended_at DESC LIMIT ?",
      state,
      limit,
    );
  }

  // ---- taskgroup index, kept current by each Taskgroup object ----

  async indexTaskgroup(row: TaskgroupIndexRow): Promise<void> {
    this.sql.run(
      `INSERT INTO taskgroups (id, kind, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
      row.id,
      row.kind,
      row.status,
      row.created_at,
      row.updated_at,
    );
  }

  async hasTaskgroup(id: string): Promise<boolean> {
    return this.sql.one("SELECT 1 AS x FROM taskgroups WHERE id = ?", id) !== undefined;
  }

  /** Newest first; the cursor is the last row's `created_at|id`, stable under inserts. */
  async listTaskgroups(opts: {
    status?: string;
    limit: number;
    cursor?: { created_at: string; id: string };
  }): Promise<TaskgroupIndexRow[]> {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (opts.status) {
      where.push("status = ?");
      args.push(opts.status);
    }
    if (opts.cursor) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      args.push(opts.cursor.created_at, opts.cursor.created_at, opts.cursor.id);
    }
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    return this.sql.all<TaskgroupIndexRow & Record<string, SqlStorageValue>>(
      `SELECT * FROM taskgroups ${clause} ORDER BY created_at DESC, id DESC LIMIT ?`,
      ...args,
      opts.limit,
    );
  }

  // ---- resumable uploads (tus): the state here, the bytes in R2 ----

  async createUpload(u: Parameters<UploadStore["create"]>[0]): Promise<void> {
    this.uploads.create(u);
    await this.armExpiry();
  }

  async getUpload(id: string): Promise<Upload | null> {
    return this.uploads.get(id);
  }

  /** How long a PATCH's lock lasts without bytes arriving (a lock left by a request that died frees itself). */
  private get lockMs(): number {
    return configOf(this.env).uploadLockMs;
  }

  async lockUpload(id: string, offset: number): Promise<LockResult> {
    return this.uploads.lock(id, offset, Date.now(), this.lockMs);
  }

  async renewUpload(id: string, token: string): Promise<boolean> {
    return this.uploads.renew(id, token, Date.now(), this.lockMs);
  }

  async lostUpload(id: string, token: string): Promise<LostLock | null> {
    return this.uploads.lost(id, token, Date.now());
  }

  async claimUploadPart(id: string, token: string): Promise<number | null> {
    return this.uploads.claimPart(id, token, Date.now(), this.lockMs);
  }

  async addUploadPart(id: string, token: string, part: UploadPart, offset: number): Promise<boolean> {
    return this.uploads.addPart(id, token, part, offset, Date.now(), this.lockMs);
  }

  async unlockUpload(id: string, token: string): Promise<void> {
    this.uploads.unlock(id, token);
  }

  async dropUploadTail(id: string, token: string): Promise<number | null> {
    return this.uploads.dropTail(id, token, Date.now());
  }

  /**
   * Ends a PATCH; false, changing nothing, when `token` lost the lock. A finished upload that names
   * an asset becomes that asset.
   */
  async releaseUpload(
    id: string,
    token: string,
    end: { offset: number; tailBytes: number; tailKey: string | null },
    done: { size: number; etag: string; keepUntil: number } | null,
  ): Promise<boolean> {
    if (!this.uploads.release(id, token, { ...end, done: done !== null }, Date.now())) return false;
    const u = this.uploads.get(id);
    if (!u || !done) return true;
    if (u.asset) {
      await this.putAsset({
        name: u.asset,
        size: done.size,
        content_type: u.content_type,
        etag: done.etag,
        uploaded: new Date().toISOString(),
      });
    }
    this.uploads.extend(id, done.keepUntil);
    await this.armExpiry();
    return true;
  }

  /** Termination: the row goes now; its bytes go with it. */
  async terminateUpload(id: string): Promise<boolean> {
    const u = this.uploads.remove(id);
    if (u) await this.discard(u);
    return u !== null;
  }

  private async discard(u: Upload): Promise<void> {
    const client = this.meta("name")!;
    const files = filesOf(this.env, client);
    if (u.state === "open")
      await files
        .resumeMultipart(u.key, u.r2_upload_id)
        .abort()
        .catch(() => undefined);
    // An upload that became an asset leaves the asset in place. Tails of requests that lost their
    // lock may sit beside the recorded one: the whole tails prefix goes.
    const keys = [u.state === "done" && !u.asset ? u.key : null, u.tail_key].filter((k): k is string => k !== null);
    await files.delete(keys);
    await files.deletePrefix(r2Keys.uploadTails(client, u.id));
  }

  private async armExpiry(): Promise<void> {
    const next = this.uploads.nextExpiry();
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  /** Expiration: uploads past their time are aborted and their bytes deleted. */
  override async alarm(): Promise<void> {
    for (const u of this.uploads.expired(Date.now())) {
      await this.discard(u);
      this.uploads.remove(u.id);
    }
    await this.armExpiry();
  }
}
