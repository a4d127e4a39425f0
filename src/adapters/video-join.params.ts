import { z } from "zod";
import { runtimeParam } from "./video/runtime-param";

export const videoJoinParams = z
  .object({
    runtime: runtimeParam,
    prepend_file_name: z.string().min(1).max(128).optional().describe("A video asset played before the input."),
    append_file_name: z.string().min(1).max(128).optional().describe("A video asset played after the input."),
    fps: z
      .number()
      .int()
      .min(1)
      .max(60)
      .optional()
      .describe("Output frame rate; default: the input's (25 if unknown)."),
  })
  .strict()
  .refine((p) => p.prepend_file_name || p.append_file_name, {
    message: "give prepend_file_name, append_file_name or both",
    path: ["append_file_name"],
  });

export type VideoJoinParams = z.infer<typeof videoJoinParams>;
