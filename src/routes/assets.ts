import { DOWNLOAD_HEADERS } from "../lib/download-headers";
import { createRoute, z } from "@hono/zod-openapi";
import { ClientFiles, filesOf, r2Keys } from "../lib/files";
import type { Written } from "../lib/r2-writer";
import { ApiError, notFound } from "../lib/errors";
import { clientStore } from "../lib/stubs";
import { mediaType, storeFormFile, storeRawBody } from "../lib/uploads";
import { binaryContent, errorResponses } from "../schemas/common";
import { router } from "./app-env";

export const assetName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "use 1-128 characters: letters, digits, '.', '_' and '-', no slashes");

const assetView = z
  .object({ name: z.string(), size: z.number(), content_type: z.string(), etag: z.string(), uploaded: z.string() })
  .openapi("Asset");

/**
 * An asset's bytes are written over the asset in place (R2 keeps the old object until a put or a
 * multipart completes, and a refused body is aborted before that): an empty body, found empty only
 * once read, is refused before anything is written, so the asset it would replace stays as it was.
 */
class NonEmptyFiles extends ClientFiles {
  override async putStream(key: string, body: ReadableStream<Uint8Array>, contentType: string): Promise<Written> {
    const reader = body.getReader();
    let first: Uint8Array | undefined;
    while (!first) {
      const r = await reader.read();
      if (r.done) throw new ApiError(400, "empty_file", "The asset is empty.");
      if (r.value.byteLength > 0) first = r.value;
    }
    const rest = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(first),
      pull: async (controller) => {
        const r = await reader.read();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return super.putStream(key, rest, contentType);
  }
}

export const assets = router();
const params = z.object({ name: assetName });

assets.openapi(
  createRoute({
    method: "put",
    path: "/api/assets/{name}",
    tags: ["assets"],
    description: "The file as the raw body, or as the multipart field `file`.",
    request: { params, body: { content: binaryContent } },
    responses: {
      201: { description: "Stored", content: { "application/json": { schema: assetView } } },
      ...errorResponses,
      413: errorResponses[400],
    },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const client = c.get("client");
    const files = new NonEmptyFiles(c.env.FILES, client);
    const key = r2Keys.asset(client, name);
    let contentType = mediaType(c.req.raw) || "application/octet-stream";
    if (contentType === "multipart/form-data") {
      const part = await storeFormFile(c.req.raw, c.env, files, key);
      if (!part) throw new ApiError(400, "missing_file", "The multipart body needs a 'file' field holding the file.");
      contentType = part.contentType;
    } else {
      await storeRawBody(c.req.raw, c.env, files, key, contentType);
    }
    const obj = (await files.head(key))!;
    const meta = {
      name,
      size: obj.size,
      content_type: contentType,
      etag: obj.etag,
      uploaded: obj.uploaded.toISOString(),
    };
    await clientStore(c.env, client).putAsset(meta);
    return c.json(meta, 201);
  },
);

assets.openapi(
  createRoute({
    method: "get",
    path: "/api/assets",
    tags: ["assets"],
    responses: {
      200: {
        description: "All assets",
        content: { "application/json": { schema: z.object({ assets: z.array(assetView) }) } },
      },
      ...errorResponses,
    },
  }),
  async (c) => c.json({ assets: await clientStore(c.env, c.get("client")).listAssets() }, 200),
);

assets.openapi(
  createRoute({
    method: "get",
    path: "/api/assets/{name}",
    tags: ["assets"],
    request: { params },
    responses: { 200: { description: "The bytes", content: binaryContent }, ...errorResponses },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const client = c.get("client");
    const meta = await clientStore(c.env, client).getAsset(name);
    const obj = meta && (await filesOf(c.env, client).get(r2Keys.asset(client, name)));
    if (!obj) throw notFound("Asset", name);
    return new Response(obj.body, {
      headers: {
        ...DOWNLOAD_HEADERS,
        "content-type": meta.content_type,
        "content-length": String(obj.size),
        etag: obj.httpEtag,
      },
    }) as never;
  },
);

assets.openapi(
  createRoute({
    method: "delete",
    path: "/api/assets/{name}",
    tags: ["assets"],
    request: { params },
    responses: { 204: { description: "Deleted" }, ...errorResponses },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const client = c.get("client");
    if (!(await clientStore(c.env, client).deleteAsset(name))) throw notFound("Asset", name);
    await filesOf(c.env, client).delete(r2Keys.asset(client, name));
    return c.body(null, 204);
  },
);
