// Makes the bench clip with ffmpeg.wasm in Node when no native ffmpeg is installed.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export async function ffmpegNodeFile(args, outPath) {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("@ffmpeg/core")).replace(/umd$/, "esm");
  globalThis.self ??= globalThis;
  globalThis.location ??= { href: "file:///" };
  const create = (await import(join(dir, "ffmpeg-core.js"))).default;
  const core = await create({ wasmBinary: readFileSync(join(dir, "ffmpeg-core.wasm")) });
  const out = "out.mp4";
  core.exec(...args.slice(0, -2), "-y", out);
  writeFileSync(outPath, core.FS.readFile(out));
}
