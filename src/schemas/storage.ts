import { z } from "@hono/zod-openapi";
import { resourceName } from "../lib/resource-name";

const retrySchema = z
  .object({ attempts: z.number().int().min(1).max(20), interval_s: z.number().int().min(1).max(43_200) })
  .strict();

const region = z
  .string()
  // Part of the host name: anything but a region's letters, digits and dashes could move the host.
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "a region is lowercase letters, digits and dashes, like eu-west-1")
  .max(32);

const secret = (max: number) => z.string().min(1).max(max);

/**
 * What POST/PUT /api/storage take. AuroraCloud's `add_storage` body is taken as its users send it:
 * `storage_ak`/`storage_sk` for the keys, `type: "oss"` with a region such as `oss-cn-hangzhou`
 * (the endpoint and virtual-hosted addressing follow from it), and no name (see storageName).
 */
export const storageInput = z
  .object({
    name: resourceName.optional().describe("Defaults to `{type}-{bucket}` (dots become dashes)."),
    type: z
      .enum(["s3", "oss"])
      .describe("s3: AWS S3 or an S3-compatible endpoint; oss: Alibaba Cloud OSS through its S3-compatible API."),
    region: region.default("us-east-1").describe("For oss, `cn-hangzhou` and `oss-cn-hangzhou` are the same region."),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("Custom S3-compatible endpoint; omit for AWS S3, and for OSS (https://oss-{region}.aliyuncs.com)."),
    addressing: z
      .enum(["path", "virtual"])
      .optional()
      .describe(
        "Where the bucket goes in a custom endpoint's URLs: its path (the default) or its host name (always, for OSS).",
      ),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,62}$/, "not a valid bucket name"),
    prefix: z.string().max(512).default(""),
    access_key_id: secret(256).optional(),
    secret_access_key: secret(512).optional(),
    storage_ak: secret(256).optional().describe("AuroraCloud's spelling of access_key_id."),
    storage_sk: secret(512).optional().describe("AuroraCloud's spelling of secret_access_key."),
    notify: z.url({ protocol: /^https?$/ }).optional(),
    notify_retry: retrySchema.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (!(t.access_key_id ?? t.storage_ak))
      ctx.addIssue({ code: "custom", path: ["access_key_id"], message: "access_key_id (or storage_ak) is required" });
    if (!(t.secret_access_key ?? t.storage_sk))
      ctx.addIssue({
        code: "custom",
        path: ["secret_access_key"],
        message: "secret_access_key (or storage_sk) is required",
      });
  })
  .transform(({ storage_ak, storage_sk, access_key_id, secret_access_key, ...t }) => {
    const keys = {
      access_key_id: (access_key_id ?? storage_ak)!,
      secret_access_key: (secret_access_key ?? storage_sk)!,
    };
    if (t.type !== "oss") return { ...t, ...keys };
    const ossRegion = t.region.replace(/^oss-/, "");
    return {
      ...t,
      ...keys,
      region: ossRegion,
      endpoint: t.endpoint ?? `https://oss-${ossRegion}.aliyuncs.com`,
      addressing: "virtual" as const,
    };
  })
  .openapi("StorageTargetInput");

/** The name a target is saved under when its body gives none (AuroraCloud's never does). */
export const storageName = (t: { name?: string; type: string; bucket: string }) =>
  t.name ?? `${t.type}-${t.bucket}`.replace(/\./g, "-").slice(0, 64);

export const storageView = z
  .object({
    name: resourceName,
    type: z.enum(["s3", "oss"]),
    region: z.string(),
    endpoint: z.string().optional(),
    addressing: z.enum(["path", "virtual"]).optional(),
    bucket: z.string(),
    prefix: z.string(),
    access_key_id: z.string(),
    secret_access_key: z.string(),
    notify: z.string().optional(),
    notify_retry: retrySchema.optional(),
    updated_at: z.string(),
  })
  .openapi("StorageTarget");

export type StorageView = z.infer<typeof storageView>;
