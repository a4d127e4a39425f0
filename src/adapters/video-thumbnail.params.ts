import { z } from "zod";
import { runtimeParam } from "./video/runtime-param";

export const videoThumbnailParams = z
  .object({
    runtime: runtimeParam,
    time: z.number().min(0).default(0).describe("Seconds into the video; past the end, the last frame."),
    width: z
      .number()
      .int()
      .min(16)
      .max(7680)
      .optional()
      .describe("Default: the video's width; the aspect ratio is kept."),
  })
  .strict();

export type VideoThumbnailParams = z.infer<typeof videoThumbnailParams>;
