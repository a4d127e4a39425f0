import { json, parse, type Sql } from "./sql";

/** v2 of the client's object: resumable (tus) uploads, one row each; the bytes are an R2 multipart upload. */
export const UPLOADS_SCHEMA = `
  CREATE TABLE uploads (id TEXT PRIMARY KEY, key TEXT NOT NULL, length INTEGER NOT NULL, offset INTEGER NOT NULL DEFAULT 0,
    r2_upload_id TEXT NOT NULL, parts TEXT NOT NULL DEFAULT '[]', tail_bytes INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL, file_name TEXT NOT NULL, content_type TEXT NOT NULL, asset TEXT,
    state TEXT NOT NULL, created_at TEXT NOT NULL, expires_at INTEGER NOT NULL, lock_until INTEGER);
  CREATE INDEX uploads_by_expiry ON uploads (expires_at);`;

export interface UploadPart {
  partNumber: number;
  etag: string;
}

export interface Upload {
  id: string;
  /** Where the finished file is (an asset's key when the upload becomes an asset). */
  key: string;
  length: number;
  offset: number;
  r2_upload_id: string;
  parts: UploadPart[];
  /** Received bytes short of a whole part, kept in R2 beside the upload until the next PATCH. */
  tail_bytes: number;
  /** The client's Upload-Metadata header, as sent. */
  metadata: string;
  file_name: string;
  content_type: string;
  asset: string | null;
  state: "open" | "done";
  created_at: string;
  expires_at: number;
}

type Row = Omit<Upload, "parts"> & { parts: string; lock_until: number | null } & Record<string, SqlStorageValue>;

const fromRow = ({ lock_until: _lock, ...r }: Row): Upload => ({ ...r, parts: parse<UploadPart[]>(r.parts) });

/** One PATCH writes at a time; a lock left by a request that died frees itself after this long. */
const LOCK_MS = 60_000;

export type LockResult =
  | { ok: true; upload: Upload }
  | { ok: false; why: "not_found" | "expired" | "done" | "offset" | "locked"; offset?: number };

/** The resumable uploads of one client (held by its ClientStore object). */
export class UploadStore {
  constructor(private readonly sql: Sql) {}

  create(u: Omit<Upload, "offset" | "parts" | "tail_bytes" | "state">): void {
    this.sql.run(
      `INSERT INTO uploads (id, key, length, r2_upload_id, metadata, file_name, content_type, asset, state, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
      u.id,
      u.key,
      u.length,
      u.r2_upload_id,
      u.metadata,
      u.file_name,
      u.content_type,
      u.asset,
      u.created_at,
      u.expires_at,
    );
  }

  get(id: string): Upload | null {
    const r = this.sql.one<Row>("SELECT * FROM uploads WHERE id = ?", id);
    return r ? fromRow(r) : null;
  }

  /** Takes the upload for one PATCH at `offset`: refused if another PATCH holds it or the offset is not where it stands. */
  lock(id: string, offset: number, now: number): LockResult {
    const r = this.sql.one<Row>("SELECT * FROM uploads WHERE id = ?", id);
    if (!r) return { ok: false, why: "not_found" };
    if (r.expires_at <= now) return { ok: false, why: "expired" };
    if (r.state === "done") return { ok: false, why: "done", offset: r.offset };
    if (r.lock_until !== null && r.lock_until > now) return { ok: false, why: "locked" };
    if (r.offset !== offset) return { ok: false, why: "offset", offset: r.offset };
    this.sql.run("UPDATE uploads SET lock_until = ? WHERE id = ?", now + LOCK_MS, id);
    return { ok: true, upload: fromRow(r) };
  }

  /** A whole part is in R2: recorded at once, so an interrupted PATCH keeps it. */
  addPart(id: string, part: UploadPart, partBytes: number, now: number): void {
    const u = this.get(id);
    if (!u) return;
    this.sql.run(
      "UPDATE uploads SET parts = ?, offset = ?, tail_bytes = 0, lock_until = ? WHERE id = ?",
      json([...u.parts, part]),
      u.parts.length * partBytes + partBytes,
      now + LOCK_MS,
      id,
    );
  }

  /** The PATCH ended: where the upload stands now, and whether it is finished. */
  release(id: string, offset: number, tailBytes: number, done: boolean): void {
    this.sql.run(
      "UPDATE uploads SET offset = ?, tail_bytes = ?, state = ?, lock_until = NULL WHERE id = ?",
      offset,
      tailBytes,
      done ? "done" : "open",
      id,
    );
  }

  /** Keeps a finished upload until `expiresAt`. */
  extend(id: string, expiresAt: number): void {
    this.sql.run("UPDATE uploads SET expires_at = ? WHERE id = ?", expiresAt, id);
  }

  remove(id: string): Upload | null {
    const u = this.get(id);
    if (u) this.sql.run("DELETE FROM uploads WHERE id = ?", id);
    return u;
  }

  expired(now: number): Upload[] {
    return this.sql.all<Row>("SELECT * FROM uploads WHERE expires_at <= ?", now).map(fromRow);
  }

  nextExpiry(): number | null {
    return this.sql.one<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM uploads")?.t ?? null;
  }
}
