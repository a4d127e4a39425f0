/**
 * A job on the native media server (native/server.mjs): the engine grants read URLs for the inputs
 * and one write URL for the step's outputs, the server answers in NDJSON (progress, then `done` or
 * `error`). A server that vanishes mid-job is a retryable failure: the engine runs the step again
 * under its lease and attempt rules, and the new run writes the same keys.
 */
import { z } from "zod";
import { StepError } from "../../lib/failures";
import type { AdapterContext } from "../types";
import { budgetOf } from "./budget";
import type { Failure, StepFile } from "../../engine/types";
import type { FfmpegJob, JobRun } from "./job-spec";

/**
 * The longest the media Worker waits for one job: a queue consumer's invocation may last 15 minutes
 * of wall time, and the result must still be reported after it.
 */
export const NATIVE_WAIT_MS = 14 * 60_000;

const event = z.discriminatedUnion("event", [
  z.object({ event: z.literal("progress"), ratio: z.number() }),
  z.object({
    event: z.literal("done"),
    files: z.array(z.object({ name: z.string(), size: z.number(), content_type: z.string() })),
    ffmpeg_ms: z.number(),
    ffmpeg_peak_mb: z.number(),
  }),
  z.object({
    event: z.literal("error"),
    failure: z.looseObject({ kind: z.string(), detail: z.string().optional() }),
    retryable: z.boolean().optional(),
  }),
]);
type ServerFailure = Extract<z.infer<typeof event>, { event: "error" }>;

/** The server's words for a failure, as one of ours; anything unexpected is the server's fault, and retryable. */
function failureOf(e: ServerFailure, job: FfmpegJob, ctx: AdapterContext): Failure {
  const f = e.failure as Record<string, unknown> & { kind: string; detail?: string };
  const fileName = typeof f.fileName === "string" ? (job.inputs[f.fileName]?.file_name ?? f.fileName) : "the input";
  const detail = f.detail ?? "no detail";
  const budget = budgetOf(ctx, "native");
  switch (f.kind) {
    case "video_unsupported":
      return { kind: "video_unsupported", fileName, detail };
    case "video_frame_too_large":
      return {
        kind: "video_frame_too_large",
        fileName,
        width: Number(f.width),
        height: Number(f.height),
        limit: budget.frameLimit,
        runtime: "native",
      };
    case "video_too_long":
      return {
        kind: "video_too_long",
        fileName,
        seconds: Number(f.seconds),
        limitSeconds: budget.maxSeconds,
        runtime: "native",
      };
    case "ffmpeg_failed":
      return { kind: "ffmpeg_failed", detail };
    case "native_transfer_failed":
      return { kind: "native_transfer_failed", detail, retryable: e.retryable ?? true };
    default:
      return { kind: "native_failed", detail };
  }
}

export async function runNative(ctx: AdapterContext, job: FfmpegJob): Promise<JobRun> {
  const native = ctx.native;
  if (!native) throw new StepError({ kind: "native_unavailable" });
  const names = Object.keys(job.inputs);
  const grants = await native.grants(names.map((n) => job.inputs[n]!.key));
  const budget = budgetOf(ctx, "native");
  const body = {
    inputs: names.map((name, i) => ({
      name,
      url: grants.reads[i],
      size: job.inputs[name]!.size,
      probe: job.probe?.includes(name) ?? false,
      stream: job.stream?.includes(name) ?? false,
    })),
    args: job.args,
    outputs: job.outputs.map((r) => ({ match: r.match, content_type: r.contentType, as: r.as })),
    upload: grants.upload,
    seconds: job.seconds,
    limits: { max_pixels: budget.maxPixels, max_seconds: budget.maxSeconds },
  };
  let res: Response;
  try {
    res = await native.endpoint.fetch(
      new Request("http://native/jobs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(NATIVE_WAIT_MS),
      }),
    );
  } catch (err) {
    throw new StepError({ kind: "native_unreachable", detail: String((err as Error)?.message ?? err) });
  }
  if (res.status !== 200 || !res.body) {
    const text = (await res.text()).slice(0, 200);
    if (res.status === 503 || res.status === 502)
      throw new StepError({ kind: "native_unreachable", detail: `HTTP ${res.status}: ${text}` });
    throw new StepError({ kind: "native_failed", detail: `HTTP ${res.status}: ${text}` });
  }
  const done = await readEvents(res.body, ctx, job);
  const files: StepFile[] = [];
  for (const f of done.files) files.push(await ctx.output(f.name));
  return { runtime: "native", files, ms: done.ffmpeg_ms, memoryMb: done.ffmpeg_peak_mb };
}

/** Reads the NDJSON answer to its end: progress goes to the step, the last line decides. */
async function readEvents(body: ReadableStream<Uint8Array>, ctx: AdapterContext, job: FfmpegJob) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += value;
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = event.safeParse(JSON.parse(buffered.slice(0, nl)));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf("\n");
        if (!line.success) continue;
        const e = line.data;
        if (e.event === "progress") ctx.progress(e.ratio);
        else if (e.event === "done") return e;
        else throw new StepError(failureOf(e, job, ctx));
      }
    }
  } catch (err) {
    if (err instanceof StepError) throw err;
    if ((err as Error)?.name === "TimeoutError")
      throw new StepError({ kind: "timed_out", seconds: NATIVE_WAIT_MS / 1000 });
    throw new StepError({ kind: "native_failed", detail: `the answer broke off: ${String((err as Error)?.message)}` });
  } finally {
    reader.releaseLock();
  }
  throw new StepError({ kind: "native_failed", detail: "the server ended the job without a result" });
}
