import { z } from "zod";

export const videoTranscodeParams = z
  .object({
    format: z.enum(["mp4", "hls"]).default("mp4"),
    width: z.number().int().min(16).max(7680).optional().describe("Give one of width/height to keep the aspect ratio."),
    height: z.number().int().min(16).max(4320).optional(),
    video_bitrate: z
      .string()
      .regex(/^\d+[kM]?$/, "like 1500k or 2M")
      .optional()
      .describe("Default: constant quality (CRF 23)."),
    audio_bitrate: z
      .string()
      .regex(/^\d+k$/, "like 128k")
      .default("128k"),
    segment_seconds: z.number().int().min(1).max(30).default(4).describe("HLS segment length."),
  })
  .strict();

export type VideoTranscodeParams = z.infer<typeof videoTranscodeParams>;
