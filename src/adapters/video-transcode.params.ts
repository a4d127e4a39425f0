import { z } from "zod";
import { runtimeParam } from "./video/runtime-param";

const bitrate = z.string().regex(/^\d+[kM]?$/, "like 1500k or 2M");

export const renditionSchema = z
  .object({
    height: z.number().int().min(16).max(4320).describe("Frame height; the width follows the input's aspect."),
    video_bitrate: bitrate.describe("The rendition's bitrate cap (also its HLS BANDWIDTH and DASH bandwidth)."),
  })
  .strict();

export const videoTranscodeParams = z
  .object({
    runtime: runtimeParam,
    format: z
      .enum(["mp4", "hls", "cmaf"])
      .default("mp4")
      .describe(
        "cmaf: a ladder of `renditions` as HLS (master and media playlists) and DASH (an MPD) over shared segments.",
      ),
    width: z.number().int().min(16).max(7680).optional().describe("Give one of width/height to keep the aspect ratio."),
    height: z.number().int().min(16).max(4320).optional(),
    video_bitrate: bitrate.optional().describe("Default: constant quality (CRF 23)."),
    audio_bitrate: z
      .string()
      .regex(/^\d+k$/, "like 128k")
      .default("128k"),
    segment_seconds: z.number().int().min(1).max(30).default(4).describe("HLS and CMAF segment length."),
    renditions: z
      .array(renditionSchema)
      .min(1)
      .max(4)
      .optional()
      .describe("The ladder, for `format: cmaf` (and only there), highest first."),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.format === "cmaf" && !p.renditions)
      ctx.addIssue({ code: "custom", path: ["renditions"], message: "format cmaf needs renditions" });
    if (p.format !== "cmaf" && p.renditions)
      ctx.addIssue({ code: "custom", path: ["renditions"], message: "renditions need format cmaf" });
    if (p.format === "cmaf")
      for (const key of ["width", "height", "video_bitrate"] as const)
        if (p[key] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: "with format cmaf, each rendition sets its own size and rate",
          });
  });

export type VideoTranscodeParams = z.infer<typeof videoTranscodeParams>;
export type Rendition = z.infer<typeof renditionSchema>;
