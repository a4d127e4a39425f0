import type { DeliveryClaim, HandedDelivery } from "../durable/delivery-log";
import { attemptDelivery } from "../delivery/send";
import { sendEmail } from "../delivery/email";
import { clientStore, taskgroupStub } from "../lib/stubs";
import { fault } from "../lib/faults";
import { withRetries } from "../lib/retry";
import { plainResult } from "./engine";
import { isMailto } from "../schemas/callbacks";
import type { DeliveryMessage, PendingDelivery } from "../engine/types";

type DeliveryEnv = Pick<Env, "TASKGROUPS" | "CLIENTS" | "EMAIL" | "EMAIL_FROM">;

/**
 * How many deliveries of one channel an invocation sends in a row, each handed over by the record of
 * the one before (no queue round trip between them); then the rest go through the queue again, so one
 * busy channel cannot keep an invocation for ever.
 */
const MAX_HANDOFFS = 20;

/**
 * Consumes the deliveries queue: claim the send from the taskgroup, make one attempt, record it and
 * take the channel's next delivery from that same record when there is one, then ack. The taskgroup
 * schedules any retry as a new message, so a message is retried here only when the taskgroup could not
 * be reached.
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
        const claim = await plainResult(group().claimDelivery(deliveryId, token, q) as Promise<DeliveryClaim>);
        if (claim.type !== "claimed") return msg.ack();
        let send: { id: string; token: string | undefined; holder: string; delivery: PendingDelivery } | null = {
          id: deliveryId,
          token,
          holder: msg.id,
          delivery: claim.delivery,
        };
        const secrets = await signingSecrets(env, client);
        for (let hop = 1; send; hop++) {
          const { id, token: sendToken, holder, delivery: d } = send;
          const attempt = isMailto(d.url) ? await sendEmail(env, d) : await attemptDelivery(d, secrets);
          const handoff = hop <= MAX_HANDOFFS ? { holder: `${msg.id}/${hop}`, delivery: msg.attempts } : undefined;
          const handed = await withRetries((): Promise<HandedDelivery | null> => {
            fault("rpc:record_delivery", client);
            return plainResult(
              group().recordDeliveryAttempt(id, sendToken, holder, attempt, handoff) as Promise<HandedDelivery | null>,
            );
          });
          send = handed && {
            id: handed.delivery.id,
            token: handed.token,
            holder: handed.holder,
            delivery: handed.delivery,
          };
        }
        msg.ack();
      } catch (err) {
        // Its next delivery finds the send interrupted: that counts as a failed attempt on the schedule.
        // A send handed over and not recorded is found by the taskgroup's watchdog when its lease ends.
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
