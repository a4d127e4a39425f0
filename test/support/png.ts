/** PNG helpers for tests, with the same WASM codec the media Worker uses, initialised in the test isolate. */
// @ts-expect-error the codec ships a .d.ts for the instance; the pool hands us the compiled Module
import pngWasm from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm";
import { decode, init as initDecode } from "@jsquash/png/decode.js";
import encode, { init as initEncode } from "@jsquash/png/encode.js";

const ready = Promise.all([initDecode(pngWasm), initEncode(pngWasm)]);

export interface Image {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export async function decodePng(bytes: ArrayBuffer): Promise<Image> {
  await ready;
  const img = await decode(bytes);
  return { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) };
}

export async function encodePng(img: Image): Promise<Uint8Array> {
  await ready;
  return new Uint8Array(await encode(img as unknown as ImageData));
}

/** A solid image, optionally with a differently coloured square in its top-left quarter. */
export function solid(
  width: number,
  height: number,
  rgba: [number, number, number, number],
  patch?: [number, number, number, number],
): Image {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = patch && x < width / 2 && y < height / 2 ? patch : rgba;
      data.set(c, (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

export function pixel(img: Image, x: number, y: number): [number, number, number, number] {
  const i = (y * img.width + x) * 4;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!, img.data[i + 3]!];
}
