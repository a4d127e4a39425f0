/**
 * One ffmpeg run, described once and executed on either runtime: the same arguments (built by the
 * adapters' argument builders), the same inputs, the same outputs stored in the same order.
 */
import { StepError, type VideoRuntime } from "../../lib/failures";
import type { AdapterContext, StepFile } from "../types";
import { ffmpeg, lastError } from "./ffmpeg";
import { runNative } from "./native";

/** Files ffmpeg writes that the step keeps, in the order they are stored (segments before the lists naming them). */
export interface OutputRule {
  /** A regular expression a whole file name matches. */
  match: string;
  contentType: string;
  /** Stored under this name instead (for a rule matching one file). */
  as?: string;
}

export interface FfmpegJob {
  /** ffmpeg's file name (as the arguments use it) → the stored file. */
  inputs: Record<string, StepFile>;
  args: string[];
  outputs: OutputRule[];
  /** Seconds of media ffmpeg works through, for progress. */
  seconds: number;
  /** Inputs whose limits are checked only when the native server has probed them (not MP4, over WASM's size). */
  probe?: string[];
  /** Inputs the native server hands ffmpeg as a URL, so it reads only the ranges it seeks to. */
  stream?: string[];
}

export interface JobRun {
  runtime: VideoRuntime;
  /** The stored outputs, in the rules' order. */
  files: StepFile[];
  /** The ffmpeg run itself. */
  ms: number;
  /** WASM: ffmpeg's heap after the run. Native: ffmpeg's resident peak. */
  memoryMb: number;
}

export const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A rule for exactly one file. */
export const exactly = (name: string, contentType: string, as?: string): OutputRule => ({
  match: escapeRegex(name),
  contentType,
  as,
});

/** Runs the job on `runtime`; WASM inputs already read (a probe read them) are passed in `loaded`. */
export function execute(
  ctx: AdapterContext,
  runtime: VideoRuntime,
  job: FfmpegJob,
  loaded: Record<string, Uint8Array> = {},
): Promise<JobRun> {
  return runtime === "native" ? runNative(ctx, job) : runWasm(ctx, job, loaded);
}

async function runWasm(ctx: AdapterContext, job: FfmpegJob, loaded: Record<string, Uint8Array>): Promise<JobRun> {
  const files: Record<string, Uint8Array> = {};
  for (const [name, file] of Object.entries(job.inputs))
    files[name] = loaded[name] ?? new Uint8Array(await (await ctx.read(file)).arrayBuffer());
  const out = await ffmpeg(files, job.args, (ratio) => ctx.progress(ratio));
  if (out.code !== 0) throw new StepError({ kind: "ffmpeg_failed", detail: lastError(out.log) });
  const written = out.list(".").sort();
  const stored: StepFile[] = [];
  for (const rule of job.outputs) {
    const re = new RegExp(`^(?:${rule.match})$`);
    for (const name of written.filter((n) => re.test(n) && !(n in job.inputs)))
      stored.push(await ctx.write(rule.as ?? name, out.read(name), rule.contentType));
  }
  return { runtime: "wasm", files: stored, ms: out.ms, memoryMb: Math.round(out.heapBytes / 1024 / 1024) };
}
