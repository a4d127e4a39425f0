import { StepError } from "../../lib/failures";
import type { AdapterContext } from "../types";
import { type Budget, budgetOf, checkFrame, checkLength, checkSize, type Pinned } from "./budget";
import { lastError, type MediaInfo, probe } from "./ffmpeg";
import { looksLikeMp4, type Mp4Index, readMp4Index } from "./mp4-index";
import type { StepFile } from "../../engine/types";
import type { JobRun } from "./job-spec";

/** A video input as far as it is known before the real work: its index or ffmpeg's probe, or nothing yet. */
export interface VideoInput {
  file: StepFile;
  /** ffmpeg's name for it. */
  fsName: string;
  /** Null: not an MP4/MOV and too large for WASM to probe; the native server probes it. */
  info: MediaInfo | null;
  /** The bytes, when WASM's probe read them (they are then not read again). */
  data?: Uint8Array;
  log?: string[];
}

/** Ranged reads of a step file. */
export const rangeReader = (ctx: AdapterContext, file: StepFile) => async (offset: number, length: number) =>
  new Uint8Array(await (await ctx.read(file, { offset, length })).arrayBuffer());

/**
 * An MP4/MOV input's index alone, by ranged reads: no copy of the file, no ffmpeg core. Null for
 * other containers, which ffmpeg probes.
 */
export async function readIndex(ctx: AdapterContext, file: StepFile): Promise<Mp4Index | null> {
  const read = rangeReader(ctx, file);
  if (!looksLikeMp4(await read(0, Math.min(16, file.size)))) return null;
  const result = await readMp4Index(file.size, read);
  if (!result.ok) throw new StepError({ kind: "video_unsupported", fileName: file.file_name, detail: result.reason });
  // An index whose samples lie past the end: the file was cut off (ffmpeg would encode what is there and say nothing).
  const samples = result.index.cut?.samples ?? [];
  const end = samples.reduce((n, s) => Math.max(n, s.offset + s.size), 0);
  if (end > file.size)
    throw new StepError({
      kind: "video_unsupported",
      fileName: file.file_name,
      detail: `the file is cut off: its index names ${end} bytes, it holds ${file.size}`,
    });
  return result.index;
}

/**
 * What an input holds, learnt without reading its bytes where possible: an MP4/MOV from its index;
 * another container is read and probed by ffmpeg.wasm when WASM could hold it, else left to the
 * native server's probe.
 */
export async function inspect(ctx: AdapterContext, file: StepFile, fsName: string, pinned: Pinned) {
  const index = await readIndex(ctx, file);
  if (index) return { file, fsName, info: index } satisfies VideoInput;
  if (pinned === "native" || file.size > budgetOf(ctx, "wasm").maxMb * 1024 * 1024)
    return { file, fsName, info: null } satisfies VideoInput;
  const data = new Uint8Array(await (await ctx.read(file)).arrayBuffer());
  const { info, log } = await probe(data, fsName);
  return { file, fsName, info, data, log } satisfies VideoInput;
}

/** An input against a runtime's budget: its bytes, and (when known) its frame and length. */
export function checkInput(b: Budget, v: VideoInput): void {
  checkSize(b, v.file.file_name, v.file.size);
  const info = v.info;
  if (!info) return;
  if (!info.video || !info.duration) {
    const detail = info.duration && !info.video ? "no video stream" : lastError(v.log ?? []).replace(/^.*?: /, "");
    throw new StepError({ kind: "video_unsupported", fileName: v.file.file_name, detail });
  }
  checkFrame(b, v.file.file_name, info.video);
  checkLength(b, v.file.file_name, info.duration);
}

/** Bytes WASM already read, by ffmpeg name, for the job that runs on them. */
export const loadedOf = (inputs: VideoInput[]) =>
  Object.fromEntries(inputs.filter((v) => v.data).map((v) => [v.fsName, v.data!]));

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

/**
 * H.264 with the `veryfast` preset, no B-frames and a 5-frame lookahead, at CRF 23 unless a rate is
 * given, on both runtimes. Measured (`npm run bench encoders`): x264's defaults held 115 MB of
 * ffmpeg's heap at 720p and 239 MB at 1080p; these hold 80 and 138 MB, run 25 % faster at 720p, for
 * files 8 % (720p) and 3 % (1080p) larger. Turning the lookahead off halves the heap again but costs
 * 60 % in size. Native ffmpeg takes every core with its default threads; nothing else differs.
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

/** The documented file-producing result of a run whose main output is `main`, plus what was measured. */
export async function finish(ctx: AdapterContext, run: JobRun, main: StepFile, extra: Record<string, unknown> = {}) {
  const info = main.content_type === "video/mp4" ? await outputInfo(ctx, main) : null;
  return {
    result: {
      success: true,
      output: { file_name: main.file_name, content_type: main.content_type, size: main.size, url: ctx.outputUrl(main) },
      ...(info ? { duration: info.duration, width: info.video?.width, height: info.video?.height } : {}),
      runtime: run.runtime,
      ffmpeg_ms: run.ms,
      ...(run.runtime === "wasm" ? { ffmpeg_heap_mb: run.memoryMb } : { ffmpeg_peak_mb: run.memoryMb }),
      ...extra,
    },
    output: main,
  };
}

/** The one output a rule set stores under `name`. */
export function stored(run: JobRun, name: string): StepFile {
  const file = run.files.find((f) => f.file_name === name);
  if (!file) throw new StepError({ kind: "ffmpeg_failed", detail: `ffmpeg wrote no ${name}` });
  return file;
}

/** An MP4 output's duration and size from its index, by ranged reads of the stored file. */
async function outputInfo(ctx: AdapterContext, file: StepFile): Promise<MediaInfo | null> {
  const result = await readMp4Index(file.size, rangeReader(ctx, file));
  return result.ok ? result.index : null;
}

export const stem = (fileName: string) => fileName.replace(/\.[^.]*$/, "") || "video";
