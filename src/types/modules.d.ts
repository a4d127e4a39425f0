// The module kinds wrangler bundles (*.wasm, *.ttf, @ffmpeg/core/wasm) are typed by types/image.d.ts and
// types/media.d.ts, generated from the [[rules]] of image/ and media/wrangler.toml.

// @ffmpeg/core ships no typings; src/adapters/video/ffmpeg.ts describes the part it uses.
declare module "@ffmpeg/core" {
  const createFFmpegCore: unknown;
  export default createFFmpegCore;
}

// jsquash's typings name the DOM's ImageData, which the Workers types lack; this is its shape.
interface ImageData {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}
