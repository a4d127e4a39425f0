import { storageTargetDocs } from "../durable/client-documents";
import { createRoute, z } from "@hono/zod-openapi";
import { badRequest, notFound } from "../lib/errors";
import { sealTarget, viewTarget } from "../durable/storage-targets";
import { errorResponses, jsonResponse } from "../schemas/common";
import { storageInput, storageName, storageView } from "../schemas/storage";
import { isDev } from "../lib/environment";
import { type AppEnv, router } from "./app-env";
import { checkOutboundUrl } from "../lib/outbound-url";
import { objectUrl } from "../adapters/s3-client";
import type { Context } from "hono";
import { resourceName } from "../lib/resource-name";
import type { StorageTarget } from "../engine/types";

export const storage = router();
const params = z.object({ name: resourceName });

async function save(c: Context<AppEnv>, target: StorageTarget) {
  // Both are URLs the Worker will call: the same rules as callbacks (no private hosts once deployed).
  if (target.endpoint) checkOutboundUrl(target.endpoint, "endpoint", isDev(c.env));
  if (target.notify) checkOutboundUrl(target.notify, "notify", isDev(c.env));
  // The URL requests will really go to, built from endpoint, bucket and region together.
  checkOutboundUrl(objectUrl(target, "key"), "the storage target's object URL", isDev(c.env));
  const sealed = await sealTarget(c.env.SECRETS_KEY, target);
  const { created, updated_at } = await storageTargetDocs(c.env, c.get("client")).put(target.name, sealed);
  return c.json(await viewTarget(c.env.SECRETS_KEY, { ...sealed, updated_at }), created ? 201 : 200);
}

storage.openapi(
  createRoute({
    method: "post",
    path: "/api/storage",
    tags: ["storage"],
    request: { body: { required: true, content: { "application/json": { schema: storageInput } } } },
    responses: {
      200: jsonResponse("Replaced", storageView),
      201: jsonResponse("Created", storageView),
      ...errorResponses,
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    return save(c, { ...body, name: storageName(body) }) as never;
  },
);

storage.openapi(
  createRoute({
    method: "put",
    path: "/api/storage/{name}",
    tags: ["storage"],
    request: { params, body: { required: true, content: { "application/json": { schema: storageInput } } } },
    responses: {
      200: jsonResponse("Replaced", storageView),
      201: jsonResponse("Created", storageView),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    if (body.name !== undefined && body.name !== name)
      throw badRequest("name_mismatch", `The body names '${body.name}' but the path names '${name}'.`);
    return save(c, { ...body, name }) as never;
  },
);

storage.openapi(
  createRoute({
    method: "get",
    path: "/api/storage",
    tags: ["storage"],
    responses: {
      200: jsonResponse("All storage targets, secrets masked", z.object({ storage: z.array(storageView) })),
      ...errorResponses,
    },
  }),
  async (c) => {
    const docs = await storageTargetDocs(c.env, c.get("client")).list();
    return c.json({ storage: await Promise.all(docs.map((d) => viewTarget(c.env.SECRETS_KEY, d))) }, 200);
  },
);

storage.openapi(
  createRoute({
    method: "get",
    path: "/api/storage/{name}",
    tags: ["storage"],
    request: { params },
    responses: { 200: jsonResponse("The storage target, secrets masked", storageView), ...errorResponses },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const doc = await storageTargetDocs(c.env, c.get("client")).get(name);
    if (!doc) throw notFound("Storage target", name);
    return c.json(await viewTarget(c.env.SECRETS_KEY, doc), 200);
  },
);

storage.openapi(
  createRoute({
    method: "delete",
    path: "/api/storage/{name}",
    tags: ["storage"],
    request: { params },
    responses: { 204: { description: "Deleted" }, ...errorResponses },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    if (!(await storageTargetDocs(c.env, c.get("client")).delete(name))) throw notFound("Storage target", name);
    return c.body(null, 204);
  },
);
