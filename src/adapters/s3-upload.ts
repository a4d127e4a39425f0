import { s3UploadParams, type S3UploadParams } from "./s3-upload.params";
import { PART_SIZE, reportedUrl, S3Object } from "./s3-client";
import type { Adapter } from "./types";

export function renderKey(template: string, values: Record<string, string>): string {
  const key = template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
  // An empty prefix must not leave a leading or doubled slash.
  return key.replace(/\/{2,}/g, "/").replace(/^\//, "");
}

/** Uploads the step's input to an S3-compatible target; the file passes through unchanged. */
export const s3Upload: Adapter<S3UploadParams> = {
  name: "s3-upload",
  params: s3UploadParams,
  async run(input, p, ctx) {
    const target = await ctx.storageTarget(p.storage);
    const key = renderKey(p.key_template, {
      prefix: target.prefix,
      // Seconds with microseconds, as VCC's keys have them (1596681918.091376).
      timestamp: (ctx.startedMs / 1000).toFixed(6),
      file_name: input.file_name,
      task_id: ctx.taskgroupId,
      configuration: ctx.step,
    });
    const object = new S3Object(target, key, input.file_name);
    const put =
      input.size <= PART_SIZE
        ? await object.put((await ctx.read(input)).body, input.size, input.content_type)
        : await object.putMultipart(
            Math.ceil(input.size / PART_SIZE),
            async (n) => {
              const offset = (n - 1) * PART_SIZE;
              const length = Math.min(PART_SIZE, input.size - offset);
              return { body: (await ctx.read(input, { offset, length })).body, size: length };
            },
            input.content_type,
          );
    return {
      result: {
        bucket_name: target.bucket,
        file_key: key,
        url: reportedUrl(target, key),
        activity: [put.uploadId ?? put.etag],
      },
    };
  },
};
