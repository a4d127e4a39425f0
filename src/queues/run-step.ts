import type { AdapterTable } from "../adapters";
import type { NativeAccess } from "../adapters/types";
import { configOf, MB } from "../lib/config";
import { filesOf, r2Keys } from "../lib/files";
import { StepError } from "../lib/failures";
import { safeFileName } from "../lib/file-names";
import { outboundProblem } from "../lib/outbound-url";
import { limited, SizeLimitExceeded } from "../lib/r2-writer";
import type { Engine } from "./engine";
import type { RunEnv, TargetOpener } from "./run-env";
import { stepContext } from "./step-context";
import type { ClaimedStep, StepFile, StepMessage } from "../engine/types";

/** Runs a claimed segment of a step: resolves its input, then each of its links on the previous one's output. */
export async function runStep(
  env: RunEnv,
  msg: StepMessage,
  claim: ClaimedStep,
  adapters: AdapterTable,
  engine: Engine,
  targets?: TargetOpener,
  native?: NativeAccess["endpoint"] | null,
) {
  const { ctx, settle } = stepContext(env, msg, claim, engine, targets, native);
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

/**
 * Streams a `{cfg}_url` input into R2 once per attempt, so adapters always read from R2. Memory
 * holds one R2 part whatever the size; the cap is counted on the bytes read, with or without a
 * Content-Length.
 */
async function fetchInput(env: RunEnv, msg: StepMessage, claim: ClaimedStep): Promise<StepFile> {
  if (claim.spec.input.kind !== "url") throw new Error(`step ${claim.spec.name} has no resolvable input`);
  const { url, local = false } = claim.spec.input;
  const limitBytes = configOf(env).maxFileBytes;
  const limitMb = limitBytes / MB;
  const res = await fetchFollowingSafely(url, local);
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new StepError({
      kind: "input_fetch_failed",
      url,
      detail: `HTTP ${res.status}`,
      retryable: res.status >= 500 || res.status === 429,
    });
  }
  if (Number(res.headers.get("content-length") ?? 0) > limitBytes) {
    await res.body.cancel();
    throw new StepError({ kind: "input_too_large", limitMb });
  }
  const fileName = fileNameFromUrl(url);
  const contentType = res.headers.get("content-type")?.split(";")[0] ?? "application/octet-stream";
  const key = r2Keys.input(msg.client, msg.taskgroupId, claim.spec.name, fileName);
  try {
    const written = await filesOf(env, msg.client).putStream(key, limited(res.body, limitBytes), contentType);
    return { key, file_name: fileName, content_type: contentType, size: written.size };
  } catch (err) {
    if (err instanceof SizeLimitExceeded) throw new StepError({ kind: "input_too_large", limitMb });
    throw new StepError({
      kind: "input_fetch_failed",
      url,
      detail: `the body broke off: ${String((err as Error)?.message ?? err)}`,
      retryable: true,
    });
  }
}

const MAX_REDIRECTS = 5;

/**
 * GET that follows redirects itself, so that every hop passes the outbound rules the submitted URL
 * passed: a public host may not bounce the Worker to a metadata or private address.
 */
async function fetchFollowingSafely(url: string, local: boolean): Promise<Response> {
  let at = url;
  for (let hop = 0; ; hop++) {
    // The timeout covers the answer's headers; the body may take as long as the step's lease.
    const headers = new AbortController();
    const timer = setTimeout(() => headers.abort(new Error("no answer within 60 s")), 60_000);
    let res: Response;
    try {
      res = await fetch(at, { signal: headers.signal, redirect: "manual" });
    } catch (err) {
      throw new StepError({
        kind: "input_fetch_failed",
        url,
        detail: String((err as Error)?.message ?? err),
        retryable: true,
      });
    } finally {
      clearTimeout(timer);
    }
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    if (location === null) return res;
    await res.body?.cancel();
    const refuse = (detail: string) => new StepError({ kind: "input_fetch_failed", url, detail, retryable: false });
    if (hop === MAX_REDIRECTS) throw refuse(`more than ${MAX_REDIRECTS} redirects`);
    let next: URL;
    try {
      next = new URL(location, at);
    } catch {
      throw refuse(`redirected to an invalid URL`);
    }
    const problem = outboundProblem(next, local);
    if (problem) throw refuse(`redirected to ${next.origin}, which ${problem}`);
    at = next.toString();
  }
}

export function fileNameFromUrl(url: string): string {
  const last = new URL(url).pathname.split("/").filter(Boolean).pop() ?? "";
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // A malformed escape (`%zz`) is kept as written: it is still a usable name.
  }
  return safeFileName(name, "input");
}
