import { createRoute, z } from "@hono/zod-openapi";
import { randomHex } from "../lib/crypto";
import { ApiError, notFound } from "../lib/errors";
import { clientStore, directory } from "../lib/stubs";
import { errorResponses } from "../schemas/common";
import { router } from "./app-env";
import { adminAuth, parseApiKey } from "./auth";
import { resourceName } from "../lib/resource-name";

const newKey = (client: string) => `cas_${client}_${randomHex(32)}`;

const createdClient = z
  .object({ client: z.string(), api_key: z.string(), key_prefix: z.string(), webhook_secret: z.string() })
  .openapi("CreatedClient");

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const admin = router();
admin.use("/api/admin/*", adminAuth);

admin.openapi(
  createRoute({
    method: "post",
    path: "/api/admin/clients",
    tags: ["admin"],
    request: {
      body: { required: true, content: { "application/json": { schema: z.object({ name: resourceName }).strict() } } },
    },
    responses: {
      201: json(createdClient, "The client, its first API key and webhook secret (shown once)"),
      ...errorResponses,
      409: errorResponses[400],
    },
  }),
  async (c) => {
    const { name } = c.req.valid("json");
    if (!(await directory(c.env).register(name)))
      throw new ApiError(409, "client_exists", `Client '${name}' already exists.`);
    const store = clientStore(c.env, name);
    await store.initialize(name);
    const key = newKey(name);
    const prefix = parseApiKey(key)!.prefix;
    await store.addKey(prefix, key);
    const profile = (await store.profile())!;
    return c.json({ client: name, api_key: key, key_prefix: prefix, webhook_secret: profile.webhook_secret }, 201);
  },
);

const nameParam = z.object({ name: resourceName });

admin.openapi(
  createRoute({
    method: "post",
    path: "/api/admin/clients/{name}/keys",
    tags: ["admin"],
    request: { params: nameParam },
    responses: {
      201: json(
        z.object({ client: z.string(), api_key: z.string(), key_prefix: z.string() }),
        "A new key (shown once)",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    if (!(await directory(c.env).exists(name))) throw notFound("Client", name);
    const key = newKey(name);
    const prefix = parseApiKey(key)!.prefix;
    await clientStore(c.env, name).addKey(prefix, key);
    return c.json({ client: name, api_key: key, key_prefix: prefix }, 201);
  },
);

admin.openapi(
  createRoute({
    method: "delete",
    path: "/api/admin/clients/{name}/keys/{key_prefix}",
    tags: ["admin"],
    request: {
      params: nameParam.extend({ key_prefix: z.string().regex(/^[0-9a-f]{8}$/, "a key prefix is 8 hex characters") }),
    },
    responses: { 204: { description: "Revoked" }, ...errorResponses },
  }),
  async (c) => {
    const { name, key_prefix } = c.req.valid("param");
    if (!(await directory(c.env).exists(name))) throw notFound("Client", name);
    if (!(await clientStore(c.env, name).revokeKey(key_prefix))) throw notFound("Key", key_prefix);
    return c.body(null, 204);
  },
);
