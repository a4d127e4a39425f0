import { z } from "@hono/zod-openapi";

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi("Error");

export const errorResponses = {
  400: { description: "Bad input", content: { "application/json": { schema: errorSchema } } },
  401: { description: "Missing or wrong credentials", content: { "application/json": { schema: errorSchema } } },
  404: { description: "Not found", content: { "application/json": { schema: errorSchema } } },
} as const;

/** An OpenAPI response with a JSON body of `schema`. */
export const jsonResponse = (description: string, schema: z.ZodType) => ({
  description,
  content: { "application/json": { schema } },
});

/** A body of raw bytes, as a request or response content. */
export const binaryContent = { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } };
