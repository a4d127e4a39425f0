import { z } from "@hono/zod-openapi";

/** Names of configurations, storage targets and clients. */
export const resourceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "use 1-64 characters: a-z, 0-9, '_' and '-', starting with a letter or digit");
