import { z } from "zod";
import { runtimeParam } from "./video/runtime-param";
import { freeJsonObject } from "../lib/json-limits";

export const POSITIONS = ["top-left", "top-right", "bottom-left", "bottom-right", "center"] as const;

export const videoOverlayParams = z
  .object({
    runtime: runtimeParam,
    overlay_file_name: z
      .string()
      .min(1)
      .max(128)
      .describe("A PNG/JPEG asset, or an earlier output through overlay_file_name_override."),
    position: z.enum(POSITIONS).default("bottom-right"),
    x: z.number().int().min(0).optional().describe("With y, places the overlay's top-left corner instead of position."),
    y: z.number().int().min(0).optional(),
    margin: z.number().int().min(0).max(2000).default(16),
    opacity: z.number().min(0).max(1).default(1),
    width: z.number().int().min(2).max(7680).optional().describe("Scale the overlay to this width (aspect kept)."),
    start: z.number().min(0).optional().describe("Seconds: show the overlay from here."),
    end: z.number().min(0).optional().describe("Seconds: hide it from here."),
    additional_context: freeJsonObject().optional(),
  })
  .strict()
  .refine((p) => (p.x === undefined) === (p.y === undefined), { message: "give both x and y, or neither", path: ["x"] })
  .refine((p) => p.start === undefined || p.end === undefined || p.end > p.start, {
    message: "end must be after start",
    path: ["end"],
  });

export type VideoOverlayParams = z.infer<typeof videoOverlayParams>;
