/**
 * `npm run bench encoders`: x264 settings for the overlay, by ffmpeg's WASM heap, time and output
 * size, at 720p and 1080p, each against the settings the adapters used before (veryfast, CRF 23,
 * x264's default B-frames and lookahead) in the same run. The same @ffmpeg/core as the media Worker,
 * in Node (one thread, a fresh core per run: the heap only grows).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const coreDir = dirname(require.resolve("@ffmpeg/core")).replace(/umd$/, "esm");
const wasmBinary = readFileSync(join(coreDir, "ffmpeg-core.wasm"));

async function core() {
  globalThis.self ??= globalThis;
  globalThis.location ??= { href: "file:///" };
  const create = (await import(join(coreDir, "ffmpeg-core.js"))).default;
  return create({ wasmBinary });
}

async function run(files, args, output) {
  const c = await core();
  for (const [name, data] of Object.entries(files)) c.FS.writeFile(name, data);
  const started = performance.now();
  const code = c.exec("-hide_banner", "-nostats", "-loglevel", "error", ...args, output);
  const ms = Math.round(performance.now() - started);
  if (code !== 0) throw new Error(`ffmpeg exited ${code}: ${args.join(" ")}`);
  return { ms, heapMb: Math.round(c.HEAPU8.length / 1024 / 1024), out: c.FS.readFile(output) };
}

/** The adapters use the second row (src/adapters/video/common.ts, h264()). */
const SETTINGS = {
  "veryfast (before)": [],
  "veryfast -bf 0 rc-lookahead=5": ["-bf", "0", "-x264-params", "rc-lookahead=5"],
  "veryfast -bf 0 rc-lookahead=0": ["-bf", "0", "-x264-params", "rc-lookahead=0"],
  "veryfast -tune zerolatency": ["-tune", "zerolatency"],
};

export async function encodersBench() {
  const logo = (
    await run({}, ["-f", "lavfi", "-i", "color=c=white@0.8:size=240x120,format=rgba", "-frames:v", "1"], "logo.png")
  ).out;
  console.log("\nx264 settings for the overlay (5 s clip, CRF 23, one thread; ratios against the first row):");
  for (const size of ["1280x720", "1920x1080"]) {
    const clip = (
      await run(
        {},
        ["-f", "lavfi", "-i", `testsrc2=size=${size}:rate=25:duration=5`, "-c:v", "libx264", "-preset", "ultrafast"],
        "clip.mp4",
      )
    ).out;
    let base;
    for (const [name, extra] of Object.entries(SETTINGS)) {
      const r = await run(
        { "in.mp4": clip, "overlay.img": logo },
        [
          "-i",
          "in.mp4",
          "-i",
          "overlay.img",
          "-filter_complex",
          "[1:v]format=rgba[ov];[0:v][ov]overlay=W-w-24:H-h-24:format=auto,format=yuv420p[v]",
          "-map",
          "[v]",
          "-c:v",
          "libx264",
          "-preset",
          "veryfast",
          "-crf",
          "23",
          ...extra,
          "-pix_fmt",
          "yuv420p",
        ],
        "out.mp4",
      );
      base ??= r;
      console.log(
        `  ${size.padStart(9)} ${name.padEnd(32)} heap ${String(r.heapMb).padStart(4)} MB (${(r.heapMb / base.heapMb).toFixed(2)}×)  ${String(r.ms).padStart(6)} ms (${(r.ms / base.ms).toFixed(2)}×)  ${(r.out.length / 1e6).toFixed(2)} MB (${(r.out.length / base.out.length).toFixed(2)}×)`,
      );
    }
  }
}
