/**
 * PNG/JPEG codecs, the resampler and the text renderer, all WASM. In workerd the modules
 * arrive as compiled WebAssembly.Module imports (wrangler's CompiledWasm rule) and are
 * initialised once per isolate; left alone, the libraries would try to fetch() them.
 */
// @ts-expect-error the codec ships a .d.ts for the instance; wrangler's CompiledWasm rule hands us the Module
import pngWasm from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm";
import { decode as decodePngRaw, init as initPngDecode } from "@jsquash/png/decode.js";
import encodePngRaw, { init as initPngEncode } from "@jsquash/png/encode.js";
import jpegDecWasm from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm";
import jpegEncWasm from "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm";
import decodeJpegRaw, { init as initJpegDecode } from "@jsquash/jpeg/decode.js";
import encodeJpegRaw, { init as initJpegEncode } from "@jsquash/jpeg/encode.js";
// @ts-expect-error as above
import resizeWasm from "@jsquash/resize/lib/resize/pkg/squoosh_resize_bg.wasm";
import resizeRaw, { initResize } from "@jsquash/resize";
import resvgWasm from "@resvg/resvg-wasm/index_bg.wasm";
import { initWasm as initResvg } from "@resvg/resvg-wasm";
import { StepError } from "../../lib/failures";
import { MAX_PIXELS } from "../image-compositor.params";
import type { Pixels } from "./pixels";

let ready: Promise<void> | undefined;

export function initCodecs(): Promise<void> {
  ready ??= Promise.all([
    initPngDecode(pngWasm),
    initPngEncode(pngWasm),
    initJpegDecode(jpegDecWasm),
    initJpegEncode(jpegEncWasm),
    initResize(resizeWasm),
    initResvg(resvgWasm),
  ]).then(() => undefined);
  return ready;
}

export type ImageKind = "png" | "jpeg";

export function sniff(bytes: Uint8Array): ImageKind | null {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return null;
}

/** Width and height from the header alone, so an oversized image is refused before it is decoded. */
export function headerSize(bytes: Uint8Array, kind: ImageKind): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (kind === "png") return bytes.length >= 24 ? { width: view.getUint32(16), height: view.getUint32(20) } : null;
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1]!;
    const length = view.getUint16(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: view.getUint16(i + 5), width: view.getUint16(i + 7) };
    }
    i += 2 + length;
  }
  return null;
}

export async function decodeImage(buffer: ArrayBuffer, fileName: string): Promise<Pixels> {
  await initCodecs();
  const bytes = new Uint8Array(buffer);
  const kind = sniff(bytes);
  if (!kind) throw new StepError({ kind: "image_unsupported", fileName });
  const size = headerSize(bytes, kind);
  if (!size) throw new StepError({ kind: "image_undecodable", fileName, detail: "no readable header" });
  if (size.width * size.height > MAX_PIXELS) {
    throw new StepError({
      kind: "image_too_large",
      fileName,
      width: size.width,
      height: size.height,
      limit: MAX_PIXELS,
    });
  }
  let img: { width: number; height: number; data: Uint8ClampedArray | Uint8Array };
  try {
    img = kind === "png" ? await decodePngRaw(buffer) : await decodeJpegRaw(buffer);
  } catch (err) {
    throw new StepError({
      kind: "image_undecodable",
      fileName,
      detail: String((err as Error)?.message ?? err).slice(0, 120),
    });
  }
  if (!img || img.width * img.height * 4 !== img.data.length) {
    throw new StepError({ kind: "image_undecodable", fileName, detail: "decoder returned no pixels" });
  }
  return {
    width: img.width,
    height: img.height,
    data: new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.byteLength),
  };
}

export async function encodeImage(img: Pixels, format: ImageKind, quality: number): Promise<ArrayBuffer> {
  await initCodecs();
  const data = img as unknown as ImageData;
  return format === "png" ? encodePngRaw(data) : encodeJpegRaw(data, { quality });
}

/** Lanczos3 on premultiplied alpha, so transparent edges keep their colour (no dark fringes). */
export async function resizeImage(img: Pixels, width: number, height: number): Promise<Pixels> {
  if (img.width === width && img.height === height) return img;
  await initCodecs();
  const out = await resizeRaw(img as unknown as ImageData, {
    width,
    height,
    method: "lanczos3",
    premultiply: true,
    linearRGB: false,
    fitMethod: "stretch",
  });
  return { width: out.width, height: out.height, data: out.data };
}
