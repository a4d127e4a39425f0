// Module kinds wrangler bundles for the image Worker (see image/wrangler.toml [[rules]]).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
declare module "*.ttf" {
  const data: ArrayBuffer;
  export default data;
}

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
