import { z } from "zod";
import { resourceName } from "../lib/resource-name";

export const s3UploadParams = z
  .object({
    storage: resourceName.describe("The storage target to upload to."),
    key_template: z
      .string()
      .min(1)
      .max(1024)
      .default("{prefix}/{timestamp}_{file_name}")
      .describe("Placeholders: {prefix}, {timestamp}, {file_name}, {task_id}, {configuration}."),
  })
  .strict();

export type S3UploadParams = z.infer<typeof s3UploadParams>;
