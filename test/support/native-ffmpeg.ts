/**
 * Debian's ffmpeg/ffprobe in Node, for the native runtime's black-box tests: fixtures of any size,
 * and reading outputs back (streams, durations, pixels) the way a user would check them. Every call
 * is asynchronous: a blocked event loop keeps fetch from retiring idle keep-alive connections, and
 * the next request then goes out on one the server has closed ("other side closed").
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const hasNativeFfmpeg = spawnSync("ffmpeg", ["-version"], { stdio: "ignore" }).status === 0;

async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "cascade-native-test-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function ffmpeg(args: string[], cwd: string): Promise<void> {
  await run("ffmpeg", ["-v", "error", "-y", ...args], { cwd, maxBuffer: 16 * 1024 * 1024 });
}

/** A test pattern with a tone: H.264 + AAC MP4 (faststart), a keyframe every 50 frames. */
export function makeVideo(o: {
  w: number;
  h: number;
  seconds: number;
  fps?: number;
  crf?: number;
}): Promise<Uint8Array> {
  return inTemp(async (dir) => {
    await ffmpeg(
      [
        ...["-f", "lavfi", "-i", `testsrc2=size=${o.w}x${o.h}:rate=${o.fps ?? 25}`],
        ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
        ...["-t", String(o.seconds), "-c:v", "libx264", "-preset", "ultrafast", "-crf", String(o.crf ?? 30)],
        ...["-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", "v.mp4"],
      ],
      dir,
    );
    return new Uint8Array(await readFile(join(dir, "v.mp4")));
  });
}

export interface StreamInfo {
  codec_type: string;
  width?: number;
  height?: number;
  duration?: string;
}

export interface ProbeInfo {
  streams: StreamInfo[];
  format: { duration?: string };
}

/** ffprobe's streams and format of a file or URL. */
export async function ffprobeAt(target: string, cwd?: string): Promise<ProbeInfo> {
  const { stdout } = await run(
    "ffprobe",
    ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", target],
    { cwd, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout);
}

/** ffprobe of a file given as bytes (`name` keeps its extension for the demuxer). */
export function ffprobe(bytes: Uint8Array, name = "f.mp4"): Promise<ProbeInfo> {
  return inTemp(async (dir) => {
    await writeFile(join(dir, name), bytes);
    return ffprobeAt(name, dir);
  });
}

/** The RGB of one pixel of the frame at `time` seconds (a 2×2 crop: chroma is subsampled by two). */
export function pixelAt(bytes: Uint8Array, time: number, x: number, y: number): Promise<[number, number, number]> {
  return inTemp(async (dir) => {
    await writeFile(join(dir, "in.mp4"), bytes);
    await ffmpeg(
      [
        ...["-ss", String(time), "-i", "in.mp4", "-frames:v", "1", "-vf", `crop=2:2:${x}:${y}`],
        ...["-f", "rawvideo", "-pix_fmt", "rgb24", "px.raw"],
      ],
      dir,
    );
    const px = await readFile(join(dir, "px.raw"));
    return [px[0]!, px[1]!, px[2]!];
  });
}

/** A solid PNG (the overlay). */
export function solidPng(w: number, h: number, color: string): Promise<Uint8Array> {
  return inTemp(async (dir) => {
    await ffmpeg(["-f", "lavfi", "-i", `color=c=${color}:s=${w}x${h}`, "-frames:v", "1", "logo.png"], dir);
    return new Uint8Array(await readFile(join(dir, "logo.png")));
  });
}
