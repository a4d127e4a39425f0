import { StepError } from "../../lib/failures";
import type { AdapterContext, StepFile } from "../types";
import { ffmpeg, lastError, probe, type FfmpegRun, type MediaInfo } from "./ffmpeg";

/** The largest frame whose encode fits the isolate's 128 MB: 1280×720. */
export const MAX_FRAME_PIXELS = 1280 * 720;

export interface LoadedVideo {
  name: string;
  data: Uint8Array;
  info: MediaInfo;
}

/**
 * Reads a video step input or asset and checks it against the media Worker's limits
 * (`ctx.limits`: what ffmpeg's heap and the step's CPU time allow; README "Video") before any real work.
 */
export async function loadVideo(ctx: AdapterContext, file: StepFile, fsName: string): Promise<LoadedVideo> {
  const { maxVideoMb, maxVideoSeconds } = ctx.limits;
  if (file.size > maxVideoMb * 1024 * 1024) {
    throw new StepError({
      kind: "video_too_large",
      fileName: file.file_name,
      sizeMb: Math.ceil(file.size / 1024 / 1024),
      limitMb: maxVideoMb,
    });
  }
  const data = new Uint8Array(await (await ctx.read(file)).arrayBuffer());
  const { info, log } = await probe(data, fsName);
  if (!info.video || !info.duration) {
    const detail = info.duration && !info.video ? "no video stream" : lastError(log).replace(/^.*?: /, "");
    throw new StepError({ kind: "video_unsupported", fileName: file.file_name, detail });
  }
  // Measured ffmpeg heap: 46 MB at 640×360, 115 MB at 1280×720, 239 MB at 1920×1080 (npm run bench limits).
  if (info.video.width * info.video.height > MAX_FRAME_PIXELS) {
    throw new StepError({
      kind: "video_frame_too_large",
      fileName: file.file_name,
      width: info.video.width,
      height: info.video.height,
    });
  }
  if (info.duration > maxVideoSeconds) {
    throw new StepError({
      kind: "video_too_long",
      fileName: file.file_name,
      seconds: Math.round(info.duration),
      limitSeconds: maxVideoSeconds,
    });
  }
  return { name: fsName, data, info };
}

/** The size `scale=W:-2` (or `-2:H`) gives: the missing side follows the aspect ratio, rounded to even. */
export function scaledSize(
  src: { width: number; height: number },
  width?: number,
  height?: number,
): { width: number; height: number } {
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
  if (width && height) return { width, height };
  if (width) return { width, height: even((src.height * width) / src.width) };
  if (height) return { width: even((src.width * height) / src.height), height };
  return src;
}

/** A frame the adapter would make, not only one it reads, must fit the same memory: scaling up is checked too. */
export function checkFrame(what: string, size: { width: number; height: number }): void {
  if (size.width * size.height > MAX_FRAME_PIXELS)
    throw new StepError({ kind: "video_frame_too_large", fileName: what, ...size });
}

/** H.264 at CRF 23 with the `veryfast` preset: the measured best speed for unchanged visual quality here. */
export const H264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"];
export const MP4 = ["-movflags", "+faststart"];

export async function run(files: Record<string, Uint8Array>, args: string[], ctx: AdapterContext): Promise<FfmpegRun> {
  const result = await ffmpeg(files, args, (ratio) => ctx.progress(ratio));
  if (result.code !== 0) throw new StepError({ kind: "ffmpeg_failed", detail: lastError(result.log) });
  return result;
}

/** Writes an ffmpeg output and shapes the documented file-producing result, plus what was measured. */
export async function finish(
  ctx: AdapterContext,
  run: FfmpegRun,
  fileName: string,
  data: Uint8Array,
  contentType: string,
  extra: Record<string, unknown> = {},
) {
  const file = await ctx.write(fileName, data, contentType);
  const info = contentType.startsWith("video/") ? (await probe(data, "out.bin")).info : null;
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
