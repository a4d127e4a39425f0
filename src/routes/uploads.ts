import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { filesOf, r2Keys } from "../lib/files";
import type { Upload } from "../durable/upload-store";
import { configOf, MB } from "../lib/config";
import { ApiError } from "../lib/errors";
import { fileNameTooLong, MAX_FILE_NAME_BYTES, safeFileName } from "../lib/file-names";
import { clientStore } from "../lib/stubs";
import {
  httpDate,
  isHeaderSafeMediaType,
  parseOffset,
  parseUploadMetadata,
  TUS_CONTENT_TYPE,
  TUS_EXTENSIONS,
  TUS_HEADERS,
  TUS_VERSION,
  tusError,
} from "../lib/tus";
import { errorResponses } from "../schemas/common";
import { assetName } from "./assets";
import { router, type AppEnv } from "./app-env";
import { append, FINISHED_MS } from "./tus-append";
import type { StepFile } from "../engine/types";

/** An open upload may sit this long between requests. */
const OPEN_MS = 24 * 3600_000;

export const maxFileBytes = (env: Pick<Env, "MAX_FILE_MB">) => configOf(env).maxFileBytes;

const tusHeaders = TUS_HEADERS;
const uploadId = z.object({ id: z.uuid({ message: "an upload id is a UUID" }) });

function requireTus(c: Context<AppEnv>): void {
  if (c.req.header("tus-resumable") !== TUS_VERSION) {
    throw new ApiError(412, "tus_version", `Send Tus-Resumable: ${TUS_VERSION}.`, undefined, {
      "Tus-Version": TUS_VERSION,
      ...tusHeaders,
    });
  }
}

/** The client's upload, or 404 (another client's id reaches nothing: uploads live in each client's object). */
async function ownedUpload(c: Context<AppEnv>, id: string): Promise<Upload> {
  const u = await clientStore(c.env, c.get("client")).getUpload(id);
  if (!u) throw tusError(404, "not_found", `Upload '${id}' does not exist.`);
  if (u.expires_at <= Date.now()) throw tusError(410, "upload_expired", `Upload '${id}' has expired.`);
  return u as Upload;
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
    ...describe("tus 1.0: the server's version, extensions and largest upload. Needs no API key.", {
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
      throw tusError(413, "payload_too_large", `Uploads are limited to ${maxFileBytes(c.env) / MB} MB.`);
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
    // Stored as given and sent back as the Content-Type of downloads: a value a header cannot carry
    // (a line break, a non-ASCII byte) would make every later download fail.
    if (meta.filetype && !isHeaderSafeMediaType(meta.filetype))
      throw tusError(400, "invalid_filetype", "The filetype in Upload-Metadata must be a media type like 'video/mp4'.");
    if (meta.filename !== undefined && fileNameTooLong(meta.filename))
      throw tusError(
        400,
        "file_name_too_long",
        `The filename in Upload-Metadata is longer than ${MAX_FILE_NAME_BYTES} bytes (UTF-8).`,
      );
    if (length === 0 && meta.asset !== undefined)
      throw tusError(400, "empty_file", "The asset would be empty (Upload-Length: 0).");
    const client = c.get("client");
    const id = crypto.randomUUID();
    const fileName = safeFileName(meta.filename ?? "", "upload");
    const contentType = meta.filetype || "application/octet-stream";
    const key = meta.asset ? r2Keys.asset(client, meta.asset) : r2Keys.upload(client, id, fileName);
    const files = filesOf(c.env, client);
    // An empty upload is finished as it is created: there is nothing to PATCH, and tus clients then
    // send none (tus-js-client ends at creation for a 0-byte file).
    const empty = length === 0;
    if (empty) await files.put(key, new Uint8Array(0), contentType);
    const r2UploadId = empty ? "" : (await files.createMultipart(key, contentType)).uploadId;
    const expires = Date.now() + (empty ? FINISHED_MS : OPEN_MS);
    await clientStore(c.env, client).createUpload({
      id,
      key,
      length,
      r2_upload_id: r2UploadId,
      metadata: metadataHeader,
      file_name: fileName,
      content_type: contentType,
      asset: meta.asset ?? null,
      state: empty ? "done" : "open",
      created_at: new Date().toISOString(),
      expires_at: expires,
    });
    const location = `${new URL(c.req.url).origin}/api/uploads/${id}`;
    const headers: Record<string, string> = { ...tusHeaders, Location: location };
    if (empty) headers["Upload-Offset"] = "0";
    else headers["Upload-Expires"] = httpDate(expires);
    if (!empty && c.req.header("content-type") === TUS_CONTENT_TYPE) {
      try {
        headers["Upload-Offset"] = String(await append(c, id, 0));
      } catch (err) {
        // The upload exists whatever happened to the body: the client resumes it at Location.
        if (err instanceof ApiError)
          throw new ApiError(err.status, err.code, err.message, err.details, { ...err.headers, Location: location });
        throw err;
      }
    }
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
