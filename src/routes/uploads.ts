import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { StepFile } from "../adapters/types";
import { filesOf, r2Keys } from "../lib/files";
import type { Upload, UploadPart } from "../durable/upload-store";
import { ApiError } from "../lib/errors";
import { safeFileName } from "../lib/file-names";
import { PART_BYTES, PartBuffer } from "../lib/r2-writer";
import { clientStore } from "../lib/stubs";
import { httpDate, parseOffset, parseUploadMetadata, TUS_CONTENT_TYPE, TUS_EXTENSIONS, TUS_VERSION } from "../lib/tus";
import { errorResponses } from "../schemas/common";
import { assetName } from "./assets";
import { router, type AppEnv } from "./app-env";

/** An open upload may sit this long between requests; a finished one is kept this long for submissions. */
const OPEN_MS = 24 * 3600_000;
const FINISHED_MS = 7 * 24 * 3600_000;

export const maxFileBytes = (env: Pick<Env, "MAX_FILE_MB">) => Number(env.MAX_FILE_MB) * 1024 * 1024;

const tusHeaders = { "Tus-Resumable": TUS_VERSION };
const uploadId = z.object({ id: z.uuid({ message: "an upload id is a UUID" }) });

function requireTus(c: Context<AppEnv>): void {
  if (c.req.header("tus-resumable") !== TUS_VERSION) {
    throw new ApiError(412, "tus_version", `Send Tus-Resumable: ${TUS_VERSION}.`, undefined, {
      "Tus-Version": TUS_VERSION,
      ...tusHeaders,
    });
  }
}

const tusError = (
  status: 400 | 404 | 409 | 410 | 413 | 415,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) => new ApiError(status, code, message, undefined, { ...tusHeaders, ...headers });

/** The client's upload, or 404 (another client's id reaches nothing: uploads live in each client's object). */
async function ownedUpload(c: Context<AppEnv>, id: string): Promise<Upload> {
  const u = await clientStore(c.env, c.get("client")).getUpload(id);
  if (!u) throw tusError(404, "not_found", `Upload '${id}' does not exist.`);
  if (u.expires_at <= Date.now()) throw tusError(410, "upload_expired", `Upload '${id}' has expired.`);
  return u as Upload;
}

/**
 * Appends the request body to the upload at `offset`: whole parts of PART_BYTES go to the R2
 * multipart upload (each recorded at once, so an interrupted request keeps them), and the bytes
 * short of a part wait in a tail object for the next request. Returns the new offset.
 */
async function append(c: Context<AppEnv>, id: string, offset: number): Promise<number> {
  const store = clientStore(c.env, c.get("client"));
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
  const u = lock.upload as Upload;
  const client = c.get("client");
  const files = filesOf(c.env, client);
  const tailKey = r2Keys.uploadTail(client, id);
  const mp = files.resumeMultipart(u.key, u.r2_upload_id);
  const parts: UploadPart[] = [...u.parts];
  // The body is read with the default reader and copied in: a BYOB reader would avoid the copy, but
  // workerd gives every BYOB read a new backing store, which measured as more garbage, not less.
  const buf = new PartBuffer();
  if (u.tail_bytes > 0) {
    const tail = await files.get(tailKey);
    if (!tail) throw new Error(`upload ${id}: its tail of ${u.tail_bytes} bytes is missing`);
    const bytes = new Uint8Array(await tail.arrayBuffer());
    for (let off = 0; off < bytes.byteLength; ) off += buf.take(bytes, off);
  }
  // What is recorded so far, for the release if this request fails half-way.
  let saved = { offset, tail: u.tail_bytes };
  let tooMuch = false;
  try {
    const reader = c.req.raw.body?.getReader();
    for (;;) {
      let chunk: Uint8Array;
      try {
        const r = reader ? await reader.read() : { done: true as const, value: undefined };
        if (r.done) break;
        chunk = r.value;
      } catch {
        break; // the client went away: keep what arrived, it resumes from there
      }
      if (parts.length * PART_BYTES + buf.fill + chunk.byteLength > u.length) {
        tooMuch = true;
        await reader?.cancel().catch(() => undefined);
        break;
      }
      for (let off = 0; off < chunk.byteLength; ) {
        off += buf.take(chunk, off);
        if (buf.full) {
          const part = await mp.uploadPart(parts.length + 1, buf.bytes());
          parts.push({ partNumber: part.partNumber, etag: part.etag });
          await store.addUploadPart(id, parts[parts.length - 1]!, PART_BYTES);
          saved = { offset: parts.length * PART_BYTES, tail: 0 };
          buf.clear();
        }
      }
    }
    const reached = parts.length * PART_BYTES + buf.fill;
    if (reached === u.length) {
      // R2 takes a last part of any size, but an upload needs at least one part.
      if (buf.fill > 0 || parts.length === 0) {
        const part = await mp.uploadPart(parts.length + 1, buf.bytes());
        parts.push({ partNumber: part.partNumber, etag: part.etag });
      }
      const obj = await mp.complete(parts);
      await files.delete(tailKey);
      await store.releaseUpload(id, reached, 0, {
        size: obj.size,
        etag: obj.etag,
        keepUntil: Date.now() + FINISHED_MS,
      });
    } else {
      if (buf.fill > 0) await files.put(tailKey, buf.bytes(), "application/octet-stream");
      await store.releaseUpload(id, reached, buf.fill, null);
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
    if (!(err instanceof ApiError)) await store.releaseUpload(id, saved.offset, saved.tail, null);
    throw err;
  }
}

/** A finished upload as a step's input file (`{cfg}_upload`). */
export async function uploadedFile(c: Context<AppEnv>, id: string, field: string): Promise<StepFile> {
  if (!uploadId.shape.id.safeParse(id).success)
    throw new ApiError(400, "invalid_upload", `${field} must be an upload id (a UUID from POST /api/uploads).`);
  const u = (await clientStore(c.env, c.get("client")).getUpload(id)) as Upload | null;
  if (!u || u.expires_at <= Date.now())
    throw new ApiError(404, "upload_not_found", `${field}: upload '${id}' does not exist (or has expired).`);
  if (u.state !== "done")
    throw new ApiError(
      422,
      "upload_not_finished",
      `${field}: upload '${id}' has ${u.offset} of ${u.length} bytes; finish it first.`,
    );
  return { key: u.key, file_name: u.file_name, content_type: u.content_type, size: u.length };
}

export const uploads = router();

const describe = (description: string, responses: Record<number, string>) => ({
  tags: ["uploads"],
  description,
  responses: {
    ...Object.fromEntries(Object.entries(responses).map(([k, v]) => [k, { description: v }])),
    ...errorResponses,
  },
});

uploads.openapi(
  createRoute({
    method: "options",
    path: "/api/uploads",
    ...describe("tus 1.0: the server's version, extensions and largest upload.", {
      204: "Tus-Version, Tus-Extension, Tus-Max-Size",
    }),
  }),
  (c) =>
    c.body(null, 204, {
      ...tusHeaders,
      "Tus-Version": TUS_VERSION,
      "Tus-Extension": TUS_EXTENSIONS,
      "Tus-Max-Size": String(maxFileBytes(c.env)),
    }) as never,
);

uploads.openapi(
  createRoute({
    method: "post",
    path: "/api/uploads",
    ...describe(
      "tus creation (and creation-with-upload): Upload-Length, optional Upload-Metadata (filename, filetype, and asset: the asset name the finished file becomes). Location names the upload.",
      { 201: "Created", 413: "Over Tus-Max-Size", 412: "Tus-Resumable missing" },
    ),
  }),
  async (c) => {
    requireTus(c);
    if (c.req.header("upload-defer-length") !== undefined)
      throw tusError(400, "defer_length_unsupported", "Upload-Defer-Length is not supported: send Upload-Length.");
    const length = parseOffset(c.req.header("upload-length"));
    if (length === null) throw tusError(400, "invalid_upload_length", "Upload-Length must be a non-negative integer.");
    if (length > maxFileBytes(c.env))
      throw tusError(413, "payload_too_large", `Uploads are limited to ${c.env.MAX_FILE_MB} MB.`);
    const metadataHeader = c.req.header("upload-metadata") ?? "";
    const meta = parseUploadMetadata(metadataHeader);
    if (!meta)
      throw tusError(
        400,
        "invalid_upload_metadata",
        "Upload-Metadata must be comma-separated 'key base64value' pairs.",
      );
    if (meta.asset !== undefined && !assetName.safeParse(meta.asset).success)
      throw tusError(400, "invalid_asset_name", "The asset name in Upload-Metadata is not valid.");
    const client = c.get("client");
    const id = crypto.randomUUID();
    const fileName = safeFileName(meta.filename ?? "", "upload");
    const contentType = meta.filetype || "application/octet-stream";
    const key = meta.asset ? r2Keys.asset(client, meta.asset) : r2Keys.upload(client, id, fileName);
    const mp = await filesOf(c.env, client).createMultipart(key, contentType);
    const expires = Date.now() + OPEN_MS;
    await clientStore(c.env, client).createUpload({
      id,
      key,
      length,
      r2_upload_id: mp.uploadId,
      metadata: metadataHeader,
      file_name: fileName,
      content_type: contentType,
      asset: meta.asset ?? null,
      created_at: new Date().toISOString(),
      expires_at: expires,
    });
    const headers: Record<string, string> = {
      ...tusHeaders,
      Location: `${new URL(c.req.url).origin}/api/uploads/${id}`,
      "Upload-Expires": httpDate(expires),
    };
    if (c.req.header("content-type") === TUS_CONTENT_TYPE) headers["Upload-Offset"] = String(await append(c, id, 0));
    return c.body(null, 201, headers) as never;
  },
);

uploads.openapi(
  // Hono answers HEAD with the GET route's headers and no body, as tus's HEAD wants.
  createRoute({
    method: "get",
    path: "/api/uploads/{id}",
    request: { params: uploadId },
    ...describe(
      "tus HEAD (GET answers the same, with no body): where an upload stands (Upload-Offset, Upload-Length).",
      { 200: "Upload-Offset", 404: "No such upload", 410: "Expired" },
    ),
  }),
  async (c) => {
    requireTus(c);
    const u = await ownedUpload(c, c.req.valid("param").id);
    const headers: Record<string, string> = {
      ...tusHeaders,
      "Upload-Offset": String(u.offset),
      "Upload-Length": String(u.length),
      "Cache-Control": "no-store",
    };
    if (u.metadata) headers["Upload-Metadata"] = u.metadata;
    if (u.state === "open") headers["Upload-Expires"] = httpDate(u.expires_at);
    return c.body(null, 200, headers) as never;
  },
);

uploads.openapi(
  createRoute({
    method: "patch",
    path: "/api/uploads/{id}",
    request: { params: uploadId },
    ...describe("tus: append bytes at Upload-Offset (Content-Type: application/offset+octet-stream).", {
      204: "The new Upload-Offset",
      409: "Offset mismatch",
      415: "Wrong Content-Type",
    }),
  }),
  async (c) => {
    requireTus(c);
    if (c.req.header("content-type") !== TUS_CONTENT_TYPE)
      throw tusError(415, "unsupported_media_type", `PATCH needs Content-Type: ${TUS_CONTENT_TYPE}.`);
    const offset = parseOffset(c.req.header("upload-offset"));
    if (offset === null) throw tusError(400, "invalid_upload_offset", "Upload-Offset must be a non-negative integer.");
    const { id } = c.req.valid("param");
    await ownedUpload(c, id);
    const reached = await append(c, id, offset);
    const u = await ownedUpload(c, id).catch(() => null);
    return c.body(null, 204, {
      ...tusHeaders,
      "Upload-Offset": String(reached),
      ...(u?.state === "open" ? { "Upload-Expires": httpDate(u.expires_at) } : {}),
    }) as never;
  },
);

uploads.openapi(
  createRoute({
    method: "delete",
    path: "/api/uploads/{id}",
    request: { params: uploadId },
    ...describe("tus termination: the upload and its bytes are deleted.", { 204: "Terminated", 404: "No such upload" }),
  }),
  async (c) => {
    requireTus(c);
    const { id } = c.req.valid("param");
    if (!(await clientStore(c.env, c.get("client")).terminateUpload(id)))
      throw tusError(404, "not_found", `Upload '${id}' does not exist.`);
    return c.body(null, 204, tusHeaders) as never;
  },
);
