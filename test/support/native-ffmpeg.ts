/**
 * Debian's ffmpeg/ffprobe in Node, for the native runtime's black-box tests: fixtures of any size,
 * and reading outputs back (streams, durations, pixels) the way a user would check them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const hasNativeFfmpeg = spawnSync("ffmpeg", ["-version"], { stdio: "ignore" }).status === 0;

function inTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "cascade-native-test-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ffmpeg(args: string[], cwd: string): void {
  const r = spawnSync("ffmpeg", ["-v", "error", "-y", ...args], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(" ")}: ${r.stderr}`);
}

/** A test pattern with a tone: H.264 + AAC MP4 (faststart), a keyframe every `gop` frames. */
export function makeVideo(o: { w: number; h: number; seconds: number; fps?: number; crf?: number }): Uint8Array {
  return inTemp((dir) => {
    ffmpeg(
      [
        ...["-f", "lavfi", "-i", `testsrc2=size=${o.w}x${o.h}:rate=${o.fps ?? 25}`],
        ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
        ...["-t", String(o.seconds), "-c:v", "libx264", "-preset", "ultrafast", "-crf", String(o.crf ?? 30)],
        ...["-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", "v.mp4"],
      ],
      dir,
    );
    return new Uint8Array(readFileSync(join(dir, "v.mp4")));
  });
}

export interface StreamInfo {
  codec_type: string;
  width?: number;
  height?: number;
  duration?: string;
}

/** ffprobe's streams and format of a file given as bytes (`name` keeps its extension for the demuxer). */
export function ffprobe(bytes: Uint8Array, name = "f.mp4"): { streams: StreamInfo[]; format: { duration?: string } } {
  return inTemp((dir) => {
    writeFileSync(join(dir, name), bytes);
    const r = spawnSync("ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", name], {
      cwd: dir,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`ffprobe: ${r.stderr}`);
    return JSON.parse(r.stdout);
  });
}

/** The RGB of one pixel of the frame at `time` seconds (a 2×2 crop: chroma is subsampled by two). */
export function pixelAt(bytes: Uint8Array, time: number, x: number, y: number): [number, number, number] {
  return inTemp((dir) => {
    writeFileSync(join(dir, "in.mp4"), bytes);
    ffmpeg(
      [
        "-ss",
        String(time),
        "-i",
        "in.mp4",
        "-frames:v",
        "1",
        "-vf",
        `crop=2:2:${x}:${y}`,
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "px.raw",
      ],
      dir,
    );
    const px = readFileSync(join(dir, "px.raw"));
    return [px[0]!, px[1]!, px[2]!];
  });
}

/** A solid PNG (the overlay). */
export function solidPng(w: number, h: number, color: string): Uint8Array {
  return inTemp((dir) => {
    ffmpeg(["-f", "lavfi", "-i", `color=c=${color}:s=${w}x${h}`, "-frames:v", "1", "logo.png"], dir);
    return new Uint8Array(readFileSync(join(dir, "logo.png")));
  });
}
