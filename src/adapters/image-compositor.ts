import type { Adapter, AdapterContext } from "./types";
import {
  imageCompositorParams,
  MAX_IMAGE_FILE_BYTES,
  MAX_PIXELS,
  type ImageCompositorParams,
} from "./image-compositor.params";
import { decodeImage, encodeImage, resizeImage } from "./image/codecs";
import { blank, drawOver, parseColor, type Pixels } from "./image/pixels";
import { fillTemplate } from "./image/template";
import { renderText } from "./image/text";
import { StepError } from "../lib/failures";
import type { StepFile } from "../engine/types";

async function load(ctx: AdapterContext, file: StepFile): Promise<Pixels> {
  const tooLarge = (size: number) =>
    new StepError({
      kind: "image_file_too_large",
      fileName: file.file_name,
      sizeMb: Math.ceil(size / 1024 / 1024),
      limitMb: MAX_IMAGE_FILE_BYTES / 1024 / 1024,
    });
  if (file.size > MAX_IMAGE_FILE_BYTES) throw tooLarge(file.size);
  const obj = await ctx.read(file);
  // The object's own size too: the recorded one could predate an overwrite.
  if (obj.size > MAX_IMAGE_FILE_BYTES) {
    await obj.body.cancel();
    throw tooLarge(obj.size);
  }
  return decodeImage(await obj.arrayBuffer(), file.file_name);
}

/** Target size of a placed image: both given → stretch; one given → keep the aspect ratio. */
/** Computed sizes are capped like inputs: a 16384×16384 layer would allocate 1 GiB. */
export function checkPixels(what: string, width: number, height: number): void {
  if (width * height > MAX_PIXELS)
    throw new StepError({ kind: "image_too_large", fileName: what, width, height, limit: MAX_PIXELS });
}

function placedSize(img: Pixels, width?: number, height?: number): { width: number; height: number } {
  if (width && height) return { width, height };
  if (width) return { width, height: Math.max(1, Math.round((img.height * width) / img.width)) };
  if (height) return { width: Math.max(1, Math.round((img.width * height) / img.height)), height };
  return { width: img.width, height: img.height };
}

/** Composes a canvas from the input, assets, earlier outputs and text; PNG or JPEG out. */
export const imageCompositor: Adapter<ImageCompositorParams> = {
  name: "image-compositor",
  params: imageCompositorParams,
  async run(input, p, ctx) {
    const timings: Record<string, number> = { decode: 0, resize: 0, blend: 0, text: 0, encode: 0 };
    const timed = async <T>(phase: string, fn: () => Promise<T> | T): Promise<T> => {
      const t = performance.now();
      try {
        return await fn();
      } finally {
        timings[phase]! += performance.now() - t;
      }
    };

    const base = await timed("decode", () => load(ctx, input));
    const width = p.width ?? base.width;
    const height = p.height ?? base.height;
    checkPixels("the canvas", width, height);
    const fill = parseColor(p.background);
    const inputIsBase = !p.layers.some((l) => l.type === "image" && l.input);
    // Over a transparent canvas, source-over leaves the source as it is: a full-size base is the canvas
    // itself. Nothing reads the decoded input again when no layer is the input, so it is drawn on in place
    // (a copy was 8 MB more of fresh memory per 1080p run: tens of ms whenever its pages are new; README).
    const baseIsCanvas =
      inputIsBase && fill.a === 0 && !p.background_file_name && base.width === width && base.height === height;
    const canvas = baseIsCanvas ? base : blank(width, height, fill);
    if (p.background_file_name) {
      const bg = await timed("decode", async () =>
        load(ctx, await ctx.asset("background_file_name", p.background_file_name!)),
      );
      const sized = await timed("resize", () => resizeImage(bg, width, height));
      await timed("blend", () => drawOver(canvas, sized, 0, 0));
    }
    // Without an `input: true` layer, the input is the base picture, stretched to the canvas.
    if (inputIsBase && !baseIsCanvas) {
      const sized = await timed("resize", () => resizeImage(base, width, height));
      await timed("blend", () => drawOver(canvas, sized, 0, 0));
    }
    const context = { additional_context: p.additional_context ?? {} };
    for (const [i, layer] of p.layers.entries()) {
      if (layer.type === "image") {
        const img = layer.input
          ? base
          : await timed("decode", async () => load(ctx, await ctx.asset(`layers[${i}].file_name`, layer.file_name!)));
        const size = placedSize(img, layer.width, layer.height);
        checkPixels(`layers[${i}]`, size.width, size.height);
        const sized = await timed("resize", () => resizeImage(img, size.width, size.height));
        await timed("blend", () => drawOver(canvas, sized, layer.x, layer.y, layer.opacity));
      } else {
        const text = fillTemplate(layer.text, context);
        const rendered = await timed("text", () =>
          renderText(layer, text, (w, h) => checkPixels(`layers[${i}]`, w, h)),
        );
        await timed("blend", () => drawOver(canvas, rendered, layer.x, layer.y, layer.opacity, true));
      }
    }
    const bytes = await timed("encode", () => encodeImage(canvas, p.format, p.quality));
    const stem = input.file_name.replace(/\.[^.]*$/, "") || "image";
    const fileName = p.output_file_name ?? `${stem}.${p.format === "png" ? "png" : "jpg"}`;
    const file = await ctx.write(fileName, bytes, p.format === "png" ? "image/png" : "image/jpeg");
    const rounded = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]));
    return {
      result: {
        success: true,
        output: {
          file_name: file.file_name,
          content_type: file.content_type,
          size: file.size,
          url: ctx.outputUrl(file),
        },
        width,
        height,
        timings_ms: rounded,
      },
      output: file,
    };
  },
};
