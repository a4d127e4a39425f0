import { z } from "@hono/zod-openapi";
import { resourceName } from "./common";

const retrySchema = z
  .object({ attempts: z.number().int().min(1).max(20), interval_s: z.number().int().min(1).max(43_200) })
  .strict();

export const storageInput = z
  .object({
    name: resourceName,
    type: z.literal("s3"),
    // Part of the host name for AWS: anything but a region's letters, digits and dashes could move the host.
    region: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "a region is lowercase letters, digits and dashes, like eu-west-1")
      .max(32)
      .default("us-east-1"),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("Custom S3-compatible endpoint (path-style addressing); omit for AWS S3."),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,62}$/, "not a valid bucket name"),
    prefix: z.string().max(512).default(""),
    access_key_id: z.string().min(1).max(256),
    secret_access_key: z.string().min(1).max(512),
    notify: z.url({ protocol: /^https?$/ }).optional(),
    notify_retry: retrySchema.optional(),
  })
  .strict()
  .openapi("StorageTargetInput");

/** A storage target with its secrets in the clear: exists only in memory, never stored or answered. */
export type StorageTarget = z.infer<typeof storageInput>;

export const storageView = storageInput
  .extend({ access_key_id: z.string(), secret_access_key: z.string(), updated_at: z.string() })
  .openapi("StorageTarget");

export type StorageView = z.infer<typeof storageView>;
