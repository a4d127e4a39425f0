import { createRoute, z } from "@hono/zod-openapi";
import { clientStore } from "../lib/stubs";
import { errorResponses } from "../schemas/common";
import { router } from "./app-env";

export const client = router();

client.openapi(
  createRoute({
    method: "get",
    path: "/api/client",
    tags: ["client"],
    responses: {
      200: {
        description: "The signed-in client and its webhook signing secret",
        content: { "application/json": { schema: z.object({ client: z.string(), webhook_secret: z.string() }) } },
      },
      ...errorResponses,
    },
  }),
  async (c) => c.json((await clientStore(c.env, c.get("client")).profile())!, 200),
);

client.openapi(
  createRoute({
    method: "post",
    path: "/api/client/webhook-secret/rotate",
    tags: ["client"],
    responses: {
      200: {
        description: "The new secret; the old one keeps signing (second signature) until previous_valid_until",
        content: {
          "application/json": { schema: z.object({ webhook_secret: z.string(), previous_valid_until: z.string() }) },
        },
      },
      ...errorResponses,
    },
  }),
  async (c) => c.json(await clientStore(c.env, c.get("client")).rotateWebhookSecret(), 200),
);
