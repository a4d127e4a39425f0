import type { AdapterTable } from "../adapters";
import type { StepFile } from "../adapters/types";
import { r2Keys, type ClaimedStep, type StepMessage } from "../durable/taskgroup-model";
import { StepError } from "../lib/failures";
import { safeFileName } from "../lib/file-names";
import type { StorageTarget } from "../schemas/storage";
import type { Engine } from "./engine";
import { stepContext } from "./step-context";

/** What a step runner needs, on the API Worker and the heavy Workers alike. */
export type RunEnv = Pick<Env, "FILES" | "MAX_UPLOAD_MB" | "MAX_VIDEO_MB" | "MAX_VIDEO_SECONDS">;

/** Opens a client's storage target with its secrets: only the API Worker has one. */
export type TargetOpener = (client: string, name: string) => Promise<StorageTarget>;

/** Runs a claimed segment of a step: resolves its input, then each of its links on the previous one's output. */
export async function runStep(env: RunEnv, msg: StepMessage, claim: ClaimedStep, adapters: AdapterTable, engine: Engine, targets?: TargetOpener) {
  const { ctx, settle } = stepContext(env, msg, claim, engine, targets);
  try {
    let file = claim.inputFile ?? (await fetchInput(env, msg, claim));
    const results: Record<string, unknown>[] = [];
    for (const link of claim.links) {
      const adapter = adapters[link.adapter];
      if (!adapter) throw new Error(`adapter ${link.adapter} is not in this Worker's table`);
      const outcome = await adapter.run(file, adapter.params.parse(link.params), ctx);
      results.push(outcome.result);
      file = outcome.output ?? file;
    }
    return { results, output: file };
  } finally {
    await settle();
  }
}

/** Fetches a `{cfg}_url` input into R2 once per attempt, so adapters always read from R2. */
async function fetchInput(env: RunEnv, msg: StepMessage, claim: ClaimedStep): Promise<StepFile> {
  if (claim.spec.input.kind !== "url") throw new Error(`step ${claim.spec.name} has no resolvable input`);
  const url = claim.spec.input.url;
  const limitMb = Number(env.MAX_UPLOAD_MB);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    throw new StepError({ kind: "input_fetch_failed", url, detail: String((err as Error)?.message ?? err), retryable: true });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new StepError({ kind: "input_fetch_failed", url, detail: `HTTP ${res.status}`, retryable: res.status >= 500 || res.status === 429 });
  }
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > limitMb * 1024 * 1024) {
    await res.body.cancel();
    throw new StepError({ kind: "input_too_large", limitMb });
  }
  // R2 needs a known length to stream; without one the body is read (bounded by the check below).
  const body = Number.isFinite(declared) ? res.body : await res.arrayBuffer();
  if (body instanceof ArrayBuffer && body.byteLength > limitMb * 1024 * 1024) throw new StepError({ kind: "input_too_large", limitMb });
  const fileName = fileNameFromUrl(url);
  const contentType = res.headers.get("content-type")?.split(";")[0] ?? "application/octet-stream";
  const key = r2Keys.input(msg.client, msg.taskgroupId, claim.spec.name, fileName);
  const obj = await env.FILES.put(key, body, { httpMetadata: { contentType } });
  return { key, file_name: fileName, content_type: contentType, size: obj.size };
}

export function fileNameFromUrl(url: string): string {
  const last = new URL(url).pathname.split("/").filter(Boolean).pop();
  return safeFileName(last ? decodeURIComponent(last) : "", "input");
}
