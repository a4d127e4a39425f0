import { createRoute, z } from "@hono/zod-openapi";
import { DOWNLOAD_HEADERS } from "../lib/download-headers";
import { ApiError, notFound } from "../lib/errors";
import { checkGrant, type FileGrant } from "../lib/file-grants";
import { filesOf } from "../lib/files";
import { limited, SizeLimitExceeded } from "../lib/r2-writer";
import { binaryContent, errorResponses, jsonResponse } from "../schemas/common";
import { router } from "./app-env";
import { maxFileBytes } from "./uploads";

/**
 * File grants (src/lib/file-grants.ts): how the native media server, which holds no credentials,
 * reads a step's inputs and writes its outputs. No API key: the grant in the path is the permission,
 * and it is checked before anything of the client is touched.
 */
export const files = router();

const token = z
  .string()
  .min(10)
  .max(2048)
  .regex(/^[\w-]+\.[\w-]+$/, "not a file grant");
/** What a stored file may be served as: a plain `type/subtype`; anything else is stored as bytes. */
const CONTENT_TYPE = /^[\w.+-]{1,64}\/[\w.+-]{1,128}$/;

/** One `bytes=a-b` or `bytes=a-` range within the file; anything else is served whole (RFC 9110 allows it). */
export function byteRange(header: string | undefined, size: number): { offset: number; length: number } | null {
  const m = /^bytes=(\d+)-(\d*)$/.exec(header ?? "");
  if (!m) return null;
  const offset = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (offset >= size || end < offset) return null;
  return { offset, length: end - offset + 1 };
}

async function granted(env: Pick<Env, "SECRETS_KEY">, raw: string, op: FileGrant["op"]): Promise<FileGrant> {
  const check = await checkGrant(env.SECRETS_KEY, raw);
  if (!check.ok && check.why === "expired") throw new ApiError(403, "grant_expired", "This file grant has expired.");
  if (!check.ok || check.grant.op !== op)
    throw new ApiError(403, "grant_invalid", `This is not a valid file grant to ${op === "read" ? "read" : "write"}.`);
  return check.grant;
}

files.openapi(
  createRoute({
    method: "get",
    path: "/files/{grant}",
    tags: ["files"],
    description:
      "A stored file through a read grant the engine gave the native media server; no API key. A `Range: bytes=a-b` header gets 206 and those bytes (ffmpeg seeks this way).",
    request: { params: z.object({ grant: token }) },
    responses: {
      200: { description: "The file", content: binaryContent },
      206: { description: "The range asked for", content: binaryContent },
      ...errorResponses,
    },
  }),
  async (c) => {
    const grant = await granted(c.env, c.req.valid("param").grant, "read");
    const files = filesOf(c.env, grant.client);
    const head = await files.head(grant.key);
    if (!head) throw notFound("File", grant.key.split("/").pop() ?? "");
    const range = byteRange(c.req.header("range"), head.size);
    const obj = await files.get(grant.key, range ?? undefined);
    if (!obj) throw notFound("File", grant.key.split("/").pop() ?? "");
    const length = range ? range.length : obj.size;
    const headers = new Headers({ ...DOWNLOAD_HEADERS, "content-length": String(length), etag: obj.httpEtag });
    headers.set("accept-ranges", "bytes");
    obj.writeHttpMetadata(headers);
    if (!range) return new Response(obj.body, { headers }) as never;
    headers.set("content-range", `bytes ${range.offset}-${range.offset + range.length - 1}/${obj.size}`);
    return new Response(obj.body, { status: 206, headers }) as never;
  },
);

files.openapi(
  createRoute({
    method: "put",
    path: "/files/{grant}/{file_name}",
    tags: ["files"],
    description:
      "Stores one file under the step folder a write grant names, streamed into R2 (multipart above 5 MiB); no API key.",
    request: {
      params: z.object({
        grant: token,
        file_name: z
          .string()
          .min(1)
          .max(255)
          .regex(/^(?!\.\.?$)[\w.-]+$/, "a file name of word characters, '.' and '-'"),
      }),
      body: { content: binaryContent },
    },
    responses: {
      201: jsonResponse("Stored", z.object({ file_name: z.string(), size: z.number(), content_type: z.string() })),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { grant: raw, file_name } = c.req.valid("param");
    const grant = await granted(c.env, raw, "write");
    const body = c.req.raw.body;
    if (!body) throw new ApiError(400, "empty_file", "The body is empty.");
    const type = c.req.header("content-type")?.split(";")[0]?.trim() ?? "";
    const contentType = CONTENT_TYPE.test(type) ? type : "application/octet-stream";
    const limit = maxFileBytes(c.env);
    try {
      const written = await filesOf(c.env, grant.client).putStream(
        `${grant.key}${file_name}`,
        limited(body, limit),
        contentType,
      );
      return c.json({ file_name, size: written.size, content_type: contentType }, 201);
    } catch (err) {
      if (err instanceof SizeLimitExceeded)
        throw new ApiError(413, "payload_too_large", `A file may be at most ${limit / 1024 / 1024} MB.`);
      throw err;
    }
  },
);
