import { attemptDelivery } from "../delivery/send";
import { sendEmail } from "../delivery/email";
import { clientStore, taskgroupStub } from "../lib/stubs";
import { fault } from "../lib/faults";
import { withRetries } from "../lib/retry";
import { isMailto } from "../schemas/callbacks";
import type { DeliveryMessage, PendingDelivery } from "../engine/types";

type DeliveryEnv = Pick<Env, "TASKGROUPS" | "CLIENTS" | "EMAIL" | "EMAIL_FROM">;

/**
 * Consumes the deliveries queue: claim the send from the taskgroup, make one attempt, record it,
 * ack. The taskgroup schedules any retry as a new message, so a message is retried here only when
 * the taskgroup could not be reached.
 */
export async function consumeDeliveries(batch: MessageBatch<DeliveryMessage>, env: DeliveryEnv): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      const { client, taskgroupId, deliveryId, token } = msg.body;
      // A fresh stub per call: once the object resets (a deploy, an abort), an old stub stays broken, and
      // retrying the record on it would fail the message, re-claim the send and post the webhook twice.
      const group = () => taskgroupStub(env, client, taskgroupId);
      const q = { messageId: msg.id, delivery: msg.attempts };
      try {
        fault("rpc:claim_delivery", client);
        const claim = await group().claimDelivery(deliveryId, token, q);
        if (claim.type !== "claimed") return msg.ack();
        const d = claim.delivery as PendingDelivery;
        const attempt = isMailto(d.url)
          ? await sendEmail(env, d)
          : await attemptDelivery(d, await signingSecrets(env, client));
        await withRetries(() => {
          fault("rpc:record_delivery", client);
          return group().recordDeliveryAttempt(deliveryId, token, q, attempt);
        });
        msg.ack();
      } catch (err) {
        // Its next delivery finds the send interrupted: that counts as a failed attempt on the schedule.
        console.error(
          JSON.stringify({ msg: "delivery message failed", taskgroup: taskgroupId, deliveryId, error: String(err) }),
        );
        msg.retry({ delaySeconds: Math.min(300, 2 ** Math.max(1, msg.attempts)) });
      }
    }),
  );
}

function signingSecrets(env: Pick<Env, "CLIENTS">, client: string) {
  fault("rpc:signing_secrets", client);
  return clientStore(env, client).signingSecrets();
}

/** A delivery whose message died in the queue (its consumer kept failing) is marked dead on its taskgroup. */
export async function consumeDeadDeliveries(batch: MessageBatch<DeliveryMessage>, env: Pick<Env, "TASKGROUPS">) {
  for (const msg of batch.messages) {
    try {
      await taskgroupStub(env, msg.body.client, msg.body.taskgroupId).deadLetterDelivery(
        msg.body.deliveryId,
        msg.body.token,
      );
      msg.ack();
    } catch (err) {
      console.error(
        JSON.stringify({ msg: "dead delivery not recorded", taskgroup: msg.body.taskgroupId, error: String(err) }),
      );
      msg.retry({ delaySeconds: 30 });
    }
  }
}
