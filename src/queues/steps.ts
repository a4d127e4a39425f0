import type { StepMessage } from "../durable/taskgroup-model";
import { describeFailure, toFailure } from "../lib/failures";
import { taskGroup } from "../lib/stubs";
import { runStep } from "./run-step";
import type { AdapterTable } from "../adapters";

/** What a steps consumer needs, in the API Worker and in the media Worker alike. */
export type StepEnv = Pick<Env, "TASKGROUPS" | "CLIENTS" | "FILES" | "SECRETS_KEY" | "MAX_UPLOAD_MB" | "MAX_VIDEO_MB" | "MAX_VIDEO_SECONDS">;

/** Backoff before a retryable step failure is tried again: 5 s, 10 s, 20 s … capped at 5 min. */
export const stepRetryDelay = (attempts: number) => Math.min(300, 5 * 2 ** Math.max(0, attempts - 1));

/** Consumes the steps queue: claim from the taskgroup, run, report back; ack or retry each message explicitly. */
export async function consumeSteps(batch: MessageBatch<StepMessage>, env: StepEnv, adapters: AdapterTable): Promise<void> {
  for (const msg of batch.messages) {
    const body = msg.body;
    const stub = taskGroup(env, body.client, body.taskgroupId);
    try {
      const claim = await stub.claimStep(body.step, body.token);
      if (!claim) {
        msg.ack(); // finished or superseded: a redelivery never runs a step twice
        continue;
      }
      let outcome;
      try {
        outcome = { ok: true as const, ...(await runStep(env, body, claim, adapters)) };
      } catch (err) {
        const { message, retryable } = describeFailure(toFailure(err));
        outcome = { ok: false as const, message, retryable };
      }
      const { retry } = await stub.finishStep(body.step, body.token, outcome);
      if (retry) msg.retry({ delaySeconds: stepRetryDelay(msg.attempts) });
      else msg.ack();
    } catch (err) {
      // The taskgroup object was unreachable; the queue's bound and dead-letter queue cap this.
      console.error(JSON.stringify({ msg: "step message failed", taskgroup: body.taskgroupId, error: String(err) }));
      msg.retry({ delaySeconds: stepRetryDelay(msg.attempts) });
    }
  }
}

/** Dead-lettered step messages fail their step at once, so no taskgroup waits for the watchdog. */
export async function consumeDeadSteps(batch: MessageBatch<StepMessage>, env: Pick<Env, "TASKGROUPS">): Promise<void> {
  for (const msg of batch.messages) {
    const { client, taskgroupId, step, token } = msg.body;
    await taskGroup(env, client, taskgroupId).abandonStep(step, token, { kind: "dead_lettered" });
    msg.ack();
  }
}
