import { configurationDocs } from "../durable/client-documents";
import { createRoute, z } from "@hono/zod-openapi";
import { notFound } from "../lib/errors";
import { errorResponses, jsonResponse } from "../schemas/common";
import { chainOf, configurationInput, configurationView, validateChain } from "../schemas/configuration";
import { router } from "./app-env";
import { resourceName } from "../lib/resource-name";

export const configurations = router();
const params = z.object({ name: resourceName });

configurations.openapi(
  createRoute({
    method: "put",
    path: "/api/configurations/{name}",
    tags: ["configurations"],
    request: { params, body: { required: true, content: { "application/json": { schema: configurationInput } } } },
    responses: {
      200: jsonResponse("Replaced", configurationView),
      201: jsonResponse("Created", configurationView),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    validateChain(chainOf(body), `configuration '${name}'`);
    const { created, updated_at } = await configurationDocs(c.env, c.get("client")).put(name, body);
    return c.json({ name, ...body, updated_at }, created ? 201 : 200);
  },
);

configurations.openapi(
  createRoute({
    method: "get",
    path: "/api/configurations",
    tags: ["configurations"],
    responses: {
      200: jsonResponse("All configurations", z.object({ configurations: z.array(configurationView) })),
      ...errorResponses,
    },
  }),
  async (c) => {
    const docs = await configurationDocs(c.env, c.get("client")).list();
    return c.json({ configurations: docs }, 200);
  },
);

configurations.openapi(
  createRoute({
    method: "get",
    path: "/api/configurations/{name}",
    tags: ["configurations"],
    request: { params },
    responses: { 200: jsonResponse("The configuration", configurationView), ...errorResponses },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const doc = await configurationDocs(c.env, c.get("client")).get(name);
    if (!doc) throw notFound("Configuration", name);
    return c.json({ name, ...doc }, 200);
  },
);

configurations.openapi(
  createRoute({
    method: "delete",
    path: "/api/configurations/{name}",
    tags: ["configurations"],
    request: { params },
    responses: { 204: { description: "Deleted" }, ...errorResponses },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    if (!(await configurationDocs(c.env, c.get("client")).delete(name))) throw notFound("Configuration", name);
    return c.body(null, 204);
  },
);
