import type { AdapterTable } from "../adapters";
import { fault } from "../lib/faults";
import { describeFailure, toFailure } from "../lib/failures";
import { withRetries } from "../lib/retry";
import type { NativeAccess } from "../adapters/types";
import type { Engine } from "./engine";
import type { RunEnv, TargetOpener } from "./run-env";
import { runStep } from "./run-step";
import type { StepMessage, StepOutcome } from "../engine/types";

/** The native media server a step's run talks to (the media Worker's); null where there is none. */
export type NativeEndpoints = (msg: StepMessage) => NativeAccess["endpoint"] | null;

/** Backoff for a message the engine could not take (unreachable): 2 s, 4 s, 8 s … capped at 5 min. */
const unreachableDelay = (attempts: number) => Math.min(300, 2 ** Math.max(1, attempts));

/**
 * Consumes a steps queue: claim from the engine, run the claimed segment, report back; every message
 * is acked or retried explicitly. Retries of a failed step are new messages the engine schedules,
 * so a message is retried here only when the engine itself could not be reached.
 */
export async function consumeSteps(
  batch: MessageBatch<StepMessage>,
  env: RunEnv,
  engine: Engine,
  adapters: AdapterTable,
  targets?: TargetOpener,
  native?: NativeEndpoints,
): Promise<void> {
  for (const msg of batch.messages) {
    const body = msg.body;
    let claim: Awaited<ReturnType<Engine["claim"]>>;
    try {
      fault("rpc:claim", body.client);
      claim = await engine.claim(body, { messageId: msg.id, delivery: msg.attempts });
    } catch (err) {
      console.error(JSON.stringify({ msg: "step claim failed", taskgroup: body.taskgroupId, error: String(err) }));
      msg.retry({ delaySeconds: unreachableDelay(msg.attempts) });
      continue;
    }
    // null: finished or superseded; "busy": another invocation holds the step (a duplicate message).
    if (claim === null || claim === "busy") {
      msg.ack();
      continue;
    }
    let outcome: StepOutcome;
    try {
      outcome = { ok: true, ...(await runStep(env, body, claim, adapters, engine, targets, native?.(body))) };
    } catch (err) {
      const failure = toFailure(err);
      const { message, retryable } = describeFailure(failure);
      outcome = { ok: false, message, retryable, reason: failure.kind };
    }
    try {
      await withRetries(() => {
        fault("rpc:finish", body.client);
        return engine.finish(body, claim.run, outcome);
      });
      msg.ack();
    } catch (err) {
      // The run's result is lost; this message's next delivery takes the step over as a new run.
      console.error(
        JSON.stringify({ msg: "step result not recorded", taskgroup: body.taskgroupId, error: String(err) }),
      );
      msg.retry({ delaySeconds: unreachableDelay(msg.attempts) });
    }
  }
}

/** Dead-lettered step messages fail their step at once, so no taskgroup waits for the watchdog. */
export async function consumeDeadSteps(batch: MessageBatch<StepMessage>, engine: Engine): Promise<void> {
  for (const msg of batch.messages) {
    try {
      await engine.abandon(msg.body, describeFailure({ kind: "dead_lettered" }).message, "dead_lettered");
      msg.ack();
    } catch (err) {
      console.error(
        JSON.stringify({ msg: "dead step not recorded", taskgroup: msg.body.taskgroupId, error: String(err) }),
      );
      msg.retry({ delaySeconds: unreachableDelay(msg.attempts) });
    }
  }
}
