import { WorkerEntrypoint } from "cloudflare:workers";
import type { StepGrants } from "../lib/file-grants";
import { directEngine, type Engine } from "./engine";
import type { ClaimedStep, FailureReason, QueueDelivery, StepMessage, StepOutcome } from "../engine/types";

/**
 * The narrow door the image and media Workers use (a service binding with this entrypoint): their
 * step's claim, progress and result, nothing else of the API Worker's bindings.
 */
export class EngineRpc extends WorkerEntrypoint<Env> implements Engine {
  claim(msg: StepMessage, q: QueueDelivery): Promise<ClaimedStep | "busy" | null> {
    return directEngine(this.env).claim(msg, q);
  }
  progress(msg: StepMessage, run: number, percent: number): Promise<void> {
    return directEngine(this.env).progress(msg, run, percent);
  }
  finish(msg: StepMessage, run: number, outcome: StepOutcome): Promise<void> {
    return directEngine(this.env).finish(msg, run, outcome);
  }
  abandon(msg: StepMessage, message: string, reason: FailureReason): Promise<void> {
    return directEngine(this.env).abandon(msg, message, reason);
  }
  grants(msg: StepMessage, step: string, origin: string, readKeys: string[]): Promise<StepGrants> {
    return directEngine(this.env).grants(msg, step, origin, readKeys);
  }
}
