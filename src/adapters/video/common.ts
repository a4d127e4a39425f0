import { StepError } from "../../lib/failures";
import type { AdapterContext, StepFile } from "../types";
import { ffmpeg, lastError, parseInfo, type FfmpegRun, type MediaInfo } from "./ffmpeg";

/**
 * What one media Worker invocation can hold and compute: ffmpeg's heap holds the input, the output
 * and the codec state inside the 128 MB isolate, and a step gets the CPU time of `limits.cpu_ms`.
 * Measured figures are in the README; these are the enforced caps.
 */
export interface VideoLimits {
  maxMb: number;
  maxSeconds: number;
}

export const limitsOf = (ctx: AdapterContext): VideoLimits => ({ maxMb: ctx.limits.maxVideoMb, maxSeconds: ctx.limits.maxVideoSeconds });

/** The largest frame whose encode fits the isolate's 128 MB: 1280×720. */
export const MAX_FRAME_PIXELS = 1280 * 720;

export interface LoadedVideo {
  name: string;
  data: Uint8Array;
  info: MediaInfo;
}

/** Reads a video step input or asset and checks it against the limits before any real work. */
export async function loadVideo(ctx: AdapterContext, file: StepFile, limits: VideoLimits, fsName: string): Promise<LoadedVideo> {
  if (file.size > limits.maxMb * 1024 * 1024) {
    throw new StepError({ kind: "video_too_large", fileName: file.file_name, sizeMb: Math.ceil(file.size / 1024 / 1024), limitMb: limits.maxMb });
  }
  const data = new Uint8Array(await (await ctx.read(file)).arrayBuffer());
  const probe = await ffmpeg({ [fsName]: data }, ["-i", fsName]);
  const info = parseInfo(probe.log);
  if (!info.video || !info.duration) {
    const detail = info.duration && !info.video ? "no video stream" : lastError(probe.log).replace(/^.*?: /, "");
    throw new StepError({ kind: "video_unsupported", fileName: file.file_name, detail });
  }
  // Measured ffmpeg heap: 46 MB at 640×360, 115 MB at 1280×720, 239 MB at 1920×1080 (npm run bench limits).
  if (info.video.width * info.video.height > MAX_FRAME_PIXELS) {
    throw new StepError({ kind: "video_frame_too_large", fileName: file.file_name, width: info.video.width, height: info.video.height });
  }
  if (info.duration > limits.maxSeconds) {
    throw new StepError({ kind: "video_too_long", fileName: file.file_name, seconds: Math.round(info.duration), limitSeconds: limits.maxSeconds });
  }
  return { name: fsName, data, info };
}

/** H.264 at CRF 23 with the `veryfast` preset: the measured best speed for unchanged visual quality here. */
export const H264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"];
export const MP4 = ["-movflags", "+faststart"];

export async function run(files: Record<string, Uint8Array>, args: string[], ctx: AdapterContext): Promise<FfmpegRun> {
  const result = await ffmpeg(files, args, (ratio) => ctx.progress(ratio));
  if (result.code !== 0) throw new StepError({ kind: "ffmpeg_failed", detail: lastError(result.log) });
  return result;
}

/** Writes an ffmpeg output and shapes the file-producing result of API.md, plus what was measured. */
export async function finish(ctx: AdapterContext, run: FfmpegRun, fileName: string, data: Uint8Array, contentType: string, extra: Record<string, unknown> = {}) {
  const file = await ctx.write(fileName, data, contentType);
  const info = contentType.startsWith("video/") ? parseInfo((await ffmpeg({ "out.bin": data }, ["-i", "out.bin"])).log) : null;
  return {
    result: {
      success: true,
      output: { file_name: file.file_name, content_type: file.content_type, size: file.size, url: ctx.outputUrl(file) },
      ...(info ? { duration: info.duration, width: info.video?.width, height: info.video?.height } : {}),
      ffmpeg_heap_mb: Math.round(run.heapBytes / 1024 / 1024),
      ffmpeg_ms: run.ms,
      ...extra,
    },
    output: file,
  };
}

export const stem = (fileName: string) => fileName.replace(/\.[^.]*$/, "") || "video";
