import { json, parse, type Sql } from "./sql";

/** v2 of the client's object: resumable (tus) uploads, one row each; the bytes are an R2 multipart upload. */
export const UPLOADS_SCHEMA = `
  CREATE TABLE uploads (id TEXT PRIMARY KEY, key TEXT NOT NULL, length INTEGER NOT NULL, offset INTEGER NOT NULL DEFAULT 0,
    r2_upload_id TEXT NOT NULL, parts TEXT NOT NULL DEFAULT '[]', tail_bytes INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL, file_name TEXT NOT NULL, content_type TEXT NOT NULL, asset TEXT,
    state TEXT NOT NULL, created_at TEXT NOT NULL, expires_at INTEGER NOT NULL, lock_until INTEGER);
  CREATE INDEX uploads_by_expiry ON uploads (expires_at);`;

/**
 * v3: fencing. Each lock hands out a token that every write must carry (a request that lost its lock
 * changes nothing); R2 part numbers are handed out once each (a late write from a lost lock lands on
 * a number no record names); each request's tail has its own key (recorded in the row). Tails of
 * older rows were at `<client>/uploads/<id>/.tail`.
 */
export const UPLOADS_FENCE_SCHEMA = `
  ALTER TABLE uploads ADD COLUMN lock_token TEXT;
  ALTER TABLE uploads ADD COLUMN next_part INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE uploads ADD COLUMN tail_key TEXT;
  UPDATE uploads SET next_part = json_array_length(parts) + 1;
  UPDATE uploads SET tail_key = substr(key, 1, 8 + instr(substr(key, 9), '/')) || 'uploads/' || id || '/.tail'
    WHERE tail_bytes > 0;`;

/** R2's highest part number: part numbers are never reused, so an upload interrupted very often runs out. */
export const MAX_PART_NUMBER = 10_000;

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
  /** Where those bytes are (null when there are none). */
  tail_key: string | null;
  /** The client's Upload-Metadata header, as sent. */
  metadata: string;
  file_name: string;
  content_type: string;
  asset: string | null;
  state: "open" | "done";
  created_at: string;
  expires_at: number;
}

type Row = Omit<Upload, "parts"> & {
  parts: string;
  lock_until: number | null;
  lock_token: string | null;
  next_part: number;
} & Record<string, SqlStorageValue>;

const fromRow = ({ lock_until: _lock, lock_token: _token, next_part: _next, ...r }: Row): Upload => ({
  ...r,
  parts: parse<UploadPart[]>(r.parts),
});

export type LockResult =
  | { ok: true; upload: Upload; token: string }
  | { ok: false; why: "not_found" | "expired" | "done" | "offset" | "locked"; offset?: number };

/** Why a fenced write was refused: the upload is gone, has expired, or another request holds it now. */
export type LostLock = "not_found" | "expired" | "lost";

/** The condition of every fenced write: the lock is still this token's and the upload has not expired. */
const HELD = "id = ? AND lock_token = ? AND expires_at > ?";

/** The resumable uploads of one client (held by its ClientStore object). */
export class UploadStore {
  constructor(private readonly sql: Sql) {}

  /** A new upload; one of length 0 is finished as it is created (`state: "done"`). */
  create(u: Omit<Upload, "offset" | "parts" | "tail_bytes" | "tail_key">): void {
    this.sql.run(
      `INSERT INTO uploads (id, key, length, r2_upload_id, metadata, file_name, content_type, asset, state, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      u.id,
      u.key,
      u.length,
      u.r2_upload_id,
      u.metadata,
      u.file_name,
      u.content_type,
      u.asset,
      u.state,
      u.created_at,
      u.expires_at,
    );
  }

  get(id: string): Upload | null {
    const r = this.sql.one<Row>("SELECT * FROM uploads WHERE id = ?", id);
    return r ? fromRow(r) : null;
  }

  /**
   * Takes the upload for one PATCH at `offset`, for `lockMs` (renewed while bytes arrive): refused if
   * another PATCH holds it or the offset is not where it stands. The token fences every later write.
   */
  lock(id: string, offset: number, now: number, lockMs: number): LockResult {
    const r = this.sql.one<Row>("SELECT * FROM uploads WHERE id = ?", id);
    if (!r) return { ok: false, why: "not_found" };
    if (r.expires_at <= now) return { ok: false, why: "expired" };
    if (r.state === "done") return { ok: false, why: "done", offset: r.offset };
    if (r.lock_until !== null && r.lock_until > now) return { ok: false, why: "locked" };
    if (r.offset !== offset) return { ok: false, why: "offset", offset: r.offset };
    const token = crypto.randomUUID();
    this.sql.run("UPDATE uploads SET lock_until = ?, lock_token = ? WHERE id = ?", now + lockMs, token, id);
    return { ok: true, upload: fromRow(r), token };
  }

  /** Why a write with `token` is refused, or null when the token still holds the lock. */
  lost(id: string, token: string, now: number): LostLock | null {
    const r = this.sql.one<Row>("SELECT * FROM uploads WHERE id = ?", id);
    if (!r) return "not_found";
    if (r.expires_at <= now) return "expired";
    return r.lock_token === token ? null : "lost";
  }

  /** Bytes are still arriving: the lock lasts `lockMs` more. False when it is no longer this token's. */
  renew(id: string, token: string, now: number, lockMs: number): boolean {
    return this.sql.run(`UPDATE uploads SET lock_until = ? WHERE ${HELD}`, now + lockMs, id, token, now) > 0;
  }

  /**
   * The R2 part number for the holder's next part (each is handed out once, so a part written late by
   * a request that lost its lock is never one a record names); null when the token no longer holds.
   */
  claimPart(id: string, token: string, now: number, lockMs: number): number | null {
    const r = this.sql.one<{ next_part: number }>(`SELECT next_part FROM uploads WHERE ${HELD}`, id, token, now);
    if (!r) return null;
    this.sql.run("UPDATE uploads SET next_part = ?, lock_until = ? WHERE id = ?", r.next_part + 1, now + lockMs, id);
    return r.next_part;
  }

  /** A whole part is in R2: recorded at once, so an interrupted PATCH keeps it. False for a lost lock. */
  addPart(id: string, token: string, part: UploadPart, offset: number, now: number, lockMs: number): boolean {
    const u = this.sql.one<Row>(`SELECT * FROM uploads WHERE ${HELD}`, id, token, now);
    if (!u) return false;
    this.sql.run(
      "UPDATE uploads SET parts = ?, offset = ?, tail_bytes = 0, tail_key = NULL, lock_until = ? WHERE id = ?",
      json([...parse<UploadPart[]>(u.parts), part]),
      offset,
      now + lockMs,
      id,
    );
    return true;
  }

  /**
   * The PATCH ended: where the upload stands now (its tail, if any, at `tailKey`), and whether it is
   * finished. False, changing nothing, when the token no longer holds the lock.
   */
  release(
    id: string,
    token: string,
    end: { offset: number; tailBytes: number; tailKey: string | null; done: boolean },
    now: number,
  ): boolean {
    return (
      this.sql.run(
        `UPDATE uploads SET offset = ?, tail_bytes = ?, tail_key = ?, state = ?, lock_until = NULL, lock_token = NULL
         WHERE ${HELD}`,
        end.offset,
        end.tailBytes,
        end.tailKey,
        end.done ? "done" : "open",
        id,
        token,
        now,
      ) > 0
    );
  }

  /** The PATCH failed: the lock is freed and what was recorded stays as it is. */
  unlock(id: string, token: string): void {
    this.sql.run("UPDATE uploads SET lock_until = NULL, lock_token = NULL WHERE id = ? AND lock_token = ?", id, token);
  }

  /**
   * The tail did not match its record (lost or cut short in R2): the upload goes back to its last
   * whole part, where the client resumes. Returns that offset, or null for a lost lock.
   */
  dropTail(id: string, token: string, now: number): number | null {
    const u = this.sql.one<Row>(`SELECT * FROM uploads WHERE ${HELD}`, id, token, now);
    if (!u) return null;
    const offset = u.offset - u.tail_bytes;
    this.sql.run(
      "UPDATE uploads SET offset = ?, tail_bytes = 0, tail_key = NULL, lock_until = NULL, lock_token = NULL WHERE id = ?",
      offset,
      id,
    );
    return offset;
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
