import { z } from "zod";
import { freeJsonObject } from "../lib/json-limits";

/** Canvas and input images are limited to this many pixels (16 MP): a 4096×4096 canvas fits, 20000×20000 does not. */
export const MAX_PIXELS = 16_000_000;

/**
 * The most an image file may take, checked from its stored size before it is read: a 16 MP image
 * kept as uncompressed 8-bit RGBA PNG is 64 MB, so no valid input is larger (a 1×1 PNG followed by
 * 300 MB would otherwise be read whole into memory, only the header having been checked).
 */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

export const color = z
  .string()
  .regex(
    /^(#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|transparent)$/,
    "use #rgb, #rrggbb, #rrggbbaa or 'transparent'",
  );

const dimension = z.number().int().min(1).max(16_384);

const imageLayer = z
  .object({
    type: z.literal("image"),
    file_name: z.string().min(1).max(128).optional().describe("An asset."),
    input: z.boolean().optional().describe("Draw the step's input here instead of as the base."),
    x: z.number().int().min(-16_384).max(16_384).default(0),
    y: z.number().int().min(-16_384).max(16_384).default(0),
    width: dimension.optional(),
    height: dimension.optional(),
    opacity: z.number().min(0).max(1).default(1),
  })
  .strict()
  .refine(
    (l) => (l.file_name === undefined) !== (l.input !== true),
    "an image layer takes exactly one of file_name or input: true",
  );

export const FONTS = ["Inter", "Inter Bold"] as const;

const textLayer = z
  .object({
    type: z.literal("text"),
    text: z.string().min(1).max(2000).describe("Supports {{additional_context.key}} templates."),
    x: z.number().int().min(-16_384).max(16_384).default(0),
    y: z.number().int().min(-16_384).max(16_384).default(0),
    size: z.number().min(4).max(1000).default(32),
    color: color.default("#000000"),
    font: z.enum(FONTS).default("Inter"),
    align: z.enum(["left", "center", "right"]).default("left"),
    width: dimension.optional().describe("Wrap lines at this width; align within it."),
    line_height: z.number().min(0.5).max(4).default(1.25),
    opacity: z.number().min(0).max(1).default(1),
  })
  .strict();

export const imageCompositorParams = z
  .object({
    width: dimension.optional().describe("Canvas width; default: the input's."),
    height: dimension.optional(),
    background: color.default("transparent"),
    background_file_name: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe("An asset drawn stretched over the canvas first."),
    layers: z
      .array(z.discriminatedUnion("type", [imageLayer, textLayer]))
      .max(32)
      .default([]),
    format: z.enum(["png", "jpeg"]).default("png"),
    quality: z.number().int().min(1).max(100).default(85),
    output_file_name: z
      .string()
      .regex(/^[\w.-]{1,128}$/, "use letters, digits, '_', '.' and '-'")
      .refine((n) => n !== "." && n !== "..", "'.' and '..' are not file names")
      .optional(),
    additional_context: freeJsonObject().optional(),
  })
  .strict()
  .refine((p) => p.width === undefined || p.height === undefined || p.width * p.height <= MAX_PIXELS, {
    message: `the canvas may have at most ${MAX_PIXELS / 1e6} megapixels`,
    path: ["width"],
  });

export type ImageCompositorParams = z.infer<typeof imageCompositorParams>;
export type ImageLayer = Extract<ImageCompositorParams["layers"][number], { type: "image" }>;
export type TextLayer = Extract<ImageCompositorParams["layers"][number], { type: "text" }>;
