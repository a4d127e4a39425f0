/**
 * ffmpeg.wasm in Node for tests: it makes the fixture videos and decodes what the media Worker
 * produced (stream info, a frame's pixels), so `npm test` needs nothing installed beyond npm.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const coreDir = dirname(require.resolve("@ffmpeg/core")).replace(/umd$/, "esm");
const wasmBinary = readFileSync(join(coreDir, "ffmpeg-core.wasm"));

interface Core {
  FS: { writeFile(p: string, d: Uint8Array): void; readFile(p: string): Uint8Array };
  exec(...args: string[]): number;
  setLogger(fn: (l: { message: string }) => void): void;
}

async function core(): Promise<Core> {
  const g = globalThis as unknown as { self?: unknown; location?: { href: string } };
  g.self ??= globalThis;
  g.location ??= { href: "file:///" };
  const create = (await import(join(coreDir, "ffmpeg-core.js"))).default as (o: object) => Promise<Core>;
  return create({ wasmBinary });
}

export async function ffmpegNode(
  files: Record<string, Uint8Array>,
  args: string[],
  output?: string,
): Promise<{ code: number; log: string[]; out?: Uint8Array }> {
  const c = await core();
  const log: string[] = [];
  c.setLogger((l) => log.push(l.message));
  for (const [n, d] of Object.entries(files)) c.FS.writeFile(n, d);
  const code = c.exec("-hide_banner", "-nostats", ...args);
  let out: Uint8Array | undefined;
  if (output) {
    try {
      out = c.FS.readFile(output);
    } catch {
      out = undefined;
    }
  }
  return { code, log, out };
}

/** A test video: moving test pattern, optional 440 Hz tone. */
export async function makeVideo(o: {
  w: number;
  h: number;
  d: number;
  fps: number;
  audio: boolean;
  color?: string;
  /** Frames between keyframes (default: one a second). */
  gop?: number;
  /** Leave the index after the media data, as a plain encoder writes it. */
  moovAtEnd?: boolean;
  /** From `at` seconds on, every frame is this colour. */
  switchTo?: { color: string; at: number };
  /** Noise over every frame: a file that does not compress. */
  noise?: boolean;
}): Promise<Uint8Array> {
  const video = o.color
    ? `color=c=${o.color}:size=${o.w}x${o.h}:rate=${o.fps}:duration=${o.d}`
    : `testsrc=size=${o.w}x${o.h}:rate=${o.fps}:duration=${o.d}`;
  const args = ["-f", "lavfi", "-i", video];
  if (o.audio) args.push("-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${o.d}`);
  const filters = [
    ...(o.switchTo ? [`drawbox=c=${o.switchTo.color}:t=fill:enable='gte(t,${o.switchTo.at})'`] : []),
    ...(o.noise ? ["noise=alls=100:allf=t"] : []),
  ];
  if (filters.length) args.push("-vf", filters.join(","));
  args.push("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", String(o.gop ?? o.fps));
  if (o.audio) args.push("-c:a", "aac", "-shortest");
  if (!o.moovAtEnd) args.push("-movflags", "+faststart");
  args.push("out.mp4");
  const r = await ffmpegNode({}, args, "out.mp4");
  if (r.code !== 0 || !r.out) throw new Error(`fixture failed: ${r.log.slice(-3).join(" | ")}`);
  return r.out;
}

/** Stream info, and an exact duration from decoding every packet. */
export async function probeNode(data: Uint8Array) {
  const r = await ffmpegNode({ "in.bin": data }, ["-i", "in.bin", "-f", "null", "-"]);
  const text = r.log.join("\n");
  const v = /Stream #0:\d+[^:]*: Video: (\w+)[^\n]*?, (\d{2,5})x(\d{2,5})/.exec(text);
  const a = /Stream #0:\d+[^:]*: Audio: (\w+)/.exec(text);
  const d = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(text);
  const times = [...text.matchAll(/time=(\d+):(\d+):(\d+(?:\.\d+)?)/g)].map(
    (m) => Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]),
  );
  return {
    ok: r.code === 0,
    video: v ? { codec: v[1], width: Number(v[2]), height: Number(v[3]) } : null,
    audio: a ? { codec: a[1] } : null,
    duration: d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : null,
    decodedUntil: times.length ? times[times.length - 1] : null,
  };
}

/** One decoded frame at `t` seconds as RGBA. */
export async function frameNode(
  data: Uint8Array,
  t: number,
): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const info = await probeNode(data);
  const r = await ffmpegNode(
    { "in.bin": data },
    ["-ss", String(t), "-i", "in.bin", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgba", "out.raw"],
    "out.raw",
  );
  if (!r.out || !info.video) throw new Error(`no frame: ${r.log.slice(-2).join(" | ")}`);
  return { width: info.video.width, height: info.video.height, rgba: r.out };
}
