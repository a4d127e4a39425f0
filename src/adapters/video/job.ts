/**
 * One ffmpeg run, described once and executed on either runtime: the same arguments (built by the
 * adapters' argument builders), the same inputs, the same outputs stored in the same order.
 */
import { StepError } from "../../lib/failures";
import type { AdapterContext } from "../types";
import { ffmpeg, lastError } from "./ffmpeg";
import { runNative } from "./native";
import type { StepFile, VideoRuntime } from "../../engine/types";
import type { FfmpegJob, JobRun } from "./job-spec";

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
