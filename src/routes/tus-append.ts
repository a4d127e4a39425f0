import type { Context } from "hono";
import { MAX_PART_NUMBER, type LostLock, type UploadPart } from "../durable/upload-store";
import { configOf } from "../lib/config";
import { ApiError } from "../lib/errors";
import { filesOf, r2Keys } from "../lib/files";
import { PART_BYTES, PartBuffer } from "../lib/r2-writer";
import { clientStore } from "../lib/stubs";
import { tusError } from "../lib/tus";
import type { AppEnv } from "./app-env";

/** A finished upload is kept this long for submissions. */
export const FINISHED_MS = 7 * 24 * 3600_000;

/** Thrown where a fenced write was refused: the answer depends on why (asked once, at the end). */
class LockLost extends Error {}

function lostLockError(id: string, why: LostLock, lockS: number): ApiError {
  switch (why) {
    case "not_found":
      return tusError(404, "not_found", `Upload '${id}' was terminated while this request wrote to it.`);
    case "expired":
      return tusError(410, "upload_expired", `Upload '${id}' expired while this request wrote to it.`);
    case "lost":
      return tusError(
        409,
        "upload_lock_lost",
        `No bytes arrived for ${lockS} s and another request took over the upload: what this one sent since is not stored. Ask HEAD for the offset and resume.`,
      );
  }
}

/**
 * Appends the request body to the upload at `offset`: whole parts of PART_BYTES go to the R2
 * multipart upload (each recorded at once, so an interrupted request keeps them), and the bytes
 * short of a part wait in a tail object for the next request. Returns the new offset.
 *
 * Every write carries the lock's token and is refused once the lock is another request's (a slow
 * request whose lock lapsed) or the upload is gone (DELETE, expiry): such a request then removes
 * what it wrote itself and the upload is as the others left it.
 */
export async function append(c: Context<AppEnv>, id: string, offset: number): Promise<number> {
  const client = c.get("client");
  const store = clientStore(c.env, client);
  const lock = await store.lockUpload(id, offset);
  if (!lock.ok) {
    switch (lock.why) {
      case "not_found":
        throw tusError(404, "not_found", `Upload '${id}' does not exist.`);
      case "expired":
        throw tusError(410, "upload_expired", `Upload '${id}' has expired.`);
      case "locked":
        throw tusError(
          409,
          "upload_busy",
          "Another request is writing to this upload; ask HEAD for its offset and resume.",
        );
      case "done":
      case "offset":
        throw tusError(409, "offset_mismatch", `The upload stands at offset ${lock.offset}, not ${offset}.`, {
          "Upload-Offset": String(lock.offset),
        });
    }
  }
  const { upload: u, token } = lock;
  const lockMs = configOf(c.env).uploadLockMs;
  const lockS = lockMs / 1000;
  const files = filesOf(c.env, client);
  const mp = files.resumeMultipart(u.key, u.r2_upload_id);
  const parts: UploadPart[] = [...u.parts];
  // A tail this request wrote but could not record: removed on the way out.
  let ownTail: string | null = null;
  // The body is read with the default reader and copied in: a BYOB reader would avoid the copy, but
  // workerd gives every BYOB read a new backing store, which measured as more garbage, not less.
  const buf = new PartBuffer();
  const fenced = async (write: Promise<boolean>) => {
    if (!(await write)) throw new LockLost();
  };
  const storePart = async () => {
    const n = await store.claimUploadPart(id, token);
    if (n === null) throw new LockLost();
    if (n > MAX_PART_NUMBER)
      throw tusError(409, "upload_parts_exhausted", "This upload was interrupted too often; start a new one.");
    const part = await mp.uploadPart(n, buf.bytes());
    parts.push({ partNumber: part.partNumber, etag: part.etag });
  };
  const reader = c.req.raw.body?.getReader();
  try {
    if (u.tail_bytes > 0) await takeTail(c, id, token, u.tail_key, u.tail_bytes, buf);
    // Renewed as bytes arrive, a third of the way into the lock, so a slow but live request keeps it.
    let renewedAt = Date.now();
    let tooMuch = false;
    for (;;) {
      let chunk: Uint8Array;
      try {
        const r = reader ? await reader.read() : { done: true as const, value: undefined };
        if (r.done) break;
        chunk = r.value;
      } catch {
        break; // the client went away: keep what arrived, it resumes from there
      }
      if (Date.now() - renewedAt >= lockMs / 3) {
        await fenced(store.renewUpload(id, token));
        renewedAt = Date.now();
      }
      if (parts.length * PART_BYTES + buf.fill + chunk.byteLength > u.length) {
        tooMuch = true;
        await reader?.cancel().catch(() => undefined);
        break;
      }
      for (let off = 0; off < chunk.byteLength; ) {
        off += buf.take(chunk, off);
        if (buf.full) {
          await storePart();
          await fenced(store.addUploadPart(id, token, parts[parts.length - 1]!, parts.length * PART_BYTES));
          renewedAt = Date.now();
          buf.clear();
        }
      }
    }
    const reached = parts.length * PART_BYTES + buf.fill;
    if (reached === u.length) {
      // R2 takes a last part of any size, but an upload needs at least one part.
      if (buf.fill > 0 || parts.length === 0) await storePart();
      await fenced(store.renewUpload(id, token));
      const obj = await mp.complete(parts);
      const keepUntil = Date.now() + FINISHED_MS;
      const done = { size: obj.size, etag: obj.etag, keepUntil };
      if (!(await store.releaseUpload(id, token, { offset: reached, tailBytes: 0, tailKey: null }, done))) {
        // Terminated or expired while it completed: the file goes too (an asset's key is the asset's).
        if (!u.asset) await files.delete(u.key);
        throw new LockLost();
      }
      await files.deletePrefix(r2Keys.uploadTails(client, id));
      if (u.tail_key) await files.delete(u.tail_key);
    } else {
      const tailKey = buf.fill > 0 ? r2Keys.uploadTail(client, id, token) : null;
      if (tailKey) {
        ownTail = tailKey;
        await files.put(tailKey, buf.bytes(), "application/octet-stream");
      }
      await fenced(store.releaseUpload(id, token, { offset: reached, tailBytes: buf.fill, tailKey }, null));
      ownTail = null;
      // The tail this request started from is in a part or in the new tail now.
      if (u.tail_key && u.tail_key !== tailKey) await files.delete(u.tail_key);
    }
    if (tooMuch)
      throw tusError(
        413,
        "upload_too_long",
        `The body goes past the declared Upload-Length of ${u.length} bytes; ${reached} are stored.`,
        { "Upload-Offset": String(reached) },
      );
    return reached;
  } catch (err) {
    // Refused part-way: the app stops reading here; lib/body-guard.ts reads a small rest (so the connection
    // stays open) and cancels a large one.
    await reader?.cancel().catch(() => undefined);
    if (ownTail) await files.delete(ownTail).catch(() => undefined);
    if (err instanceof ApiError) {
      await store.unlockUpload(id, token);
      throw err;
    }
    // A write refused, or R2 failing because the upload was aborted under it (DELETE, expiry): a 4xx
    // that says which. Anything else is ours: the lock is freed and what was recorded stays.
    const why = await store.lostUpload(id, token);
    if (why) throw lostLockError(id, why, lockS);
    await store.unlockUpload(id, token);
    throw err instanceof LockLost ? lostLockError(id, "lost", lockS) : err;
  }
}

/**
 * Loads the bytes the last request left short of a part into `buf`. A tail that is missing or not
 * the recorded length is not trusted: the upload goes back to its last whole part (409 naming it).
 */
async function takeTail(
  c: Context<AppEnv>,
  id: string,
  token: string,
  tailKey: string | null,
  tailBytes: number,
  buf: PartBuffer,
): Promise<void> {
  const client = c.get("client");
  const files = filesOf(c.env, client);
  const tail = tailKey ? await files.get(tailKey) : null;
  if (tail && tail.size === tailBytes) {
    const bytes = new Uint8Array(await tail.arrayBuffer());
    for (let off = 0; off < bytes.byteLength; ) off += buf.take(bytes, off);
    return;
  }
  await tail?.body.cancel().catch(() => undefined);
  console.error(
    JSON.stringify({
      msg: "upload tail does not match its record",
      id,
      key: tailKey,
      recorded: tailBytes,
      found: tail?.size ?? null,
    }),
  );
  const at = await clientStore(c.env, client).dropUploadTail(id, token);
  if (at === null) throw new LockLost();
  if (tailKey) await files.delete(tailKey);
  throw tusError(
    409,
    "offset_mismatch",
    `The upload's last ${tailBytes} bytes were lost; it stands at offset ${at}: resume from there.`,
    { "Upload-Offset": String(at) },
  );
}
