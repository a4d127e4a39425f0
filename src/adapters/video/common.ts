import { StepError } from "../../lib/failures";
import type { AdapterContext, StepFile } from "../types";
import { ffmpeg, lastError, probe, type FfmpegRun, type MediaInfo } from "./ffmpeg";
import { looksLikeMp4, type Mp4Index, readMp4Index } from "./mp4-index";

/**
 * The largest frame whose run fits the isolate's 128 MB, measured whole (`npm run bench limits`: the
 * workerd process's resident peak, so ffmpeg's heap, its compiled code, and the bytes in JS):
 * 119–128 MB at 960×540 (5 s, 0.8 MB to 30 s, 5 MB in), 142 MB at 1280×720 (5 s).
 */
const MAX_FRAME = { width: 960, height: 540 };
export const MAX_FRAME_PIXELS = MAX_FRAME.width * MAX_FRAME.height;
export const frameLimit = `${MAX_FRAME.width}×${MAX_FRAME.height}`;

export interface LoadedVideo {
  name: string;
  data: Uint8Array;
  info: MediaInfo;
}

/** Ranged reads of a step file. */
export const rangeReader = (ctx: AdapterContext, file: StepFile) => async (offset: number, length: number) =>
  new Uint8Array(await (await ctx.read(file, { offset, length })).arrayBuffer());

/**
 * An MP4/MOV input's index alone, by ranged reads: no copy of the file, no ffmpeg core. Null for
 * other containers, which ffmpeg probes after the whole file is read.
 */
export async function readIndex(ctx: AdapterContext, file: StepFile): Promise<Mp4Index | null> {
  const read = rangeReader(ctx, file);
  if (!looksLikeMp4(await read(0, Math.min(16, file.size)))) return null;
  const result = await readMp4Index(file.size, read);
  if (!result.ok) throw new StepError({ kind: "video_unsupported", fileName: file.file_name, detail: result.reason });
  return result.index;
}

/** The media Worker's limits (`ctx.limits`, frame size): README "Video". */
function checkLimits(ctx: AdapterContext, file: StepFile, info: MediaInfo, log: string[] = []): void {
  if (!info.video || !info.duration) {
    const detail = info.duration && !info.video ? "no video stream" : lastError(log).replace(/^.*?: /, "");
    throw new StepError({ kind: "video_unsupported", fileName: file.file_name, detail });
  }
  checkFrame(file.file_name, info.video);
  if (info.duration > ctx.limits.maxVideoSeconds) {
    throw new StepError({
      kind: "video_too_long",
      fileName: file.file_name,
      seconds: Math.round(info.duration),
      limitSeconds: ctx.limits.maxVideoSeconds,
    });
  }
}

/** Bytes that would sit in the isolate at once, held to the one-input cap (`MAX_VIDEO_MB`). */
export function checkSize(ctx: AdapterContext, what: string, bytes: number): void {
  const { maxVideoMb } = ctx.limits;
  if (bytes > maxVideoMb * 1024 * 1024)
    throw new StepError({
      kind: "video_too_large",
      fileName: what,
      sizeMb: Math.ceil(bytes / 1024 / 1024),
      limitMb: maxVideoMb,
    });
}

/**
 * Reads a video step input or asset and checks it against the media Worker's limits before any real
 * work. An MP4/MOV is checked from its index before its bytes are read; a caller that has read the
 * index already passes it (`null`: not an MP4).
 */
export async function loadVideo(
  ctx: AdapterContext,
  file: StepFile,
  fsName: string,
  index?: Mp4Index | null,
): Promise<LoadedVideo> {
  checkSize(ctx, file.file_name, file.size);
  const indexed = index === undefined ? await readIndex(ctx, file) : index;
  if (indexed) checkLimits(ctx, file, indexed);
  const data = new Uint8Array(await (await ctx.read(file)).arrayBuffer());
  if (indexed) return { name: fsName, data, info: indexed };
  const { info, log } = await probe(data, fsName);
  checkLimits(ctx, file, info, log);
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
    throw new StepError({
      kind: "video_frame_too_large",
      fileName: what,
      width: size.width,
      height: size.height,
      limit: frameLimit,
    });
}

/**
 * H.264 with the `veryfast` preset, no B-frames and a 5-frame lookahead, at CRF 23 unless a rate is
 * given. Measured (`npm run bench encoders`): x264's defaults held 115 MB of ffmpeg's heap at 720p
 * and 239 MB at 1080p; these hold 80 and 138 MB, run 25 % faster at 720p, for files 8 % (720p)
 * and 3 % (1080p) larger. Turning the lookahead off halves the heap again but costs 60 % in size.
 */
export function h264(rate: string[] = ["-crf", "23"]): string[] {
  return [
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    ...rate,
    "-bf",
    "0",
    "-x264-params",
    "rc-lookahead=5",
    "-pix_fmt",
    "yuv420p",
  ];
}
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
  const info = contentType === "video/mp4" ? await outputInfo(data) : null;
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

/** An MP4 output's duration and size from its index, read in memory (no second ffmpeg core). */
async function outputInfo(data: Uint8Array): Promise<MediaInfo | null> {
  const result = await readMp4Index(data.byteLength, async (offset, length) => data.subarray(offset, offset + length));
  return result.ok ? result.index : null;
}

export const stem = (fileName: string) => fileName.replace(/\.[^.]*$/, "") || "video";
