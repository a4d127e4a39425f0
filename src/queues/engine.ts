import { stepGrants, type StepGrants } from "../lib/file-grants";
import { taskgroupStub } from "../lib/stubs";
import type { ClaimedStep, FailureReason, QueueDelivery, StepMessage, StepOutcome } from "../engine/types";

/**
 * All a step runner may ask of the engine: to claim its step, report progress, and report the
 * result. The image and media Workers reach it through the API Worker's `EngineRpc` entrypoint,
 * so they hold no client-object stub (keys, secrets) and no SECRETS_KEY. Each call is fenced by the
 * step's token (from the queue message) and the run number of the claim.
 */
export interface Engine {
  claim(msg: StepMessage, q: QueueDelivery): Promise<ClaimedStep | "busy" | null>;
  progress(msg: StepMessage, run: number, percent: number): Promise<void>;
  finish(msg: StepMessage, run: number, outcome: StepOutcome): Promise<void>;
  abandon(msg: StepMessage, message: string, reason: FailureReason): Promise<void>;
  /**
   * File grants for a native run of the step (src/lib/file-grants.ts): read URLs for `readKeys`, and
   * the URL its outputs are written under. Only the API Worker holds the key that makes them.
   */
  grants(msg: StepMessage, step: string, origin: string, readKeys: string[]): Promise<StepGrants>;
}

/**
 * A Durable Object's RPC result as a plain value, its RPC disposer called. workerd gives an object
 * returned over RPC a `Symbol.dispose` that holds the call open on the other side until it is called.
 * `EngineRpc` hands the claim on to the image and media Workers: forwarded with that disposer, the
 * claim became an RPC result they had to dispose too, and when a WASM job's memory made the garbage
 * collector take it first, workerd kept the call until the invocation's end, which then never came
 * (under wrangler dev the media queue's invocation never ended and its next message stayed queued).
 */
export async function plainResult<T>(call: Promise<T>): Promise<T> {
  const result = await call;
  if (typeof result !== "object" || result === null) return result;
  // Symbol.dispose is in workerd, not in the ES2023 lib this project compiles against.
  const key = (Symbol as unknown as { dispose?: symbol }).dispose;
  const dispose = key && (result as Record<symbol, unknown>)[key];
  if (typeof dispose !== "function") return result;
  const plain = structuredClone(result);
  dispose.call(result);
  return plain;
}

/** The engine as the API Worker reaches it: the taskgroup's Durable Object. */
export function directEngine(env: Pick<Env, "TASKGROUPS" | "SECRETS_KEY">): Engine {
  const group = (m: StepMessage) => taskgroupStub(env, m.client, m.taskgroupId);
  return {
    claim: (m, q) => plainResult(group(m).claimStep(m, q) as Promise<ClaimedStep | "busy" | null>),
    progress: (m, run, percent) => group(m).reportProgress(m, run, percent),
    finish: (m, run, outcome) => group(m).finishStep(m, run, outcome),
    abandon: (m, message, reason) => group(m).abandonStep(m, message, reason),
    grants: (m, step, origin, readKeys) =>
      stepGrants(env.SECRETS_KEY, origin, { client: m.client, taskgroupId: m.taskgroupId, step }, readKeys),
  };
}
