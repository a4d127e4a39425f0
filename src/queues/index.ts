import type { DeliveryMessage, StepMessage } from "../durable/taskgroup-model";
import { consumeDeliveries } from "./deliveries";
import { consumeDeadSteps, consumeSteps } from "./steps";
import { taskGroup } from "../lib/stubs";
import { apiAdapters } from "../adapters";

/** One queue handler for the Worker; queues are told apart by name so prefixed deployments work. */
export async function queue(batch: MessageBatch, env: Env, _ctx?: ExecutionContext): Promise<void> {
  const name = batch.queue;
  if (name.endsWith("-steps")) return consumeSteps(batch as MessageBatch<StepMessage>, env, apiAdapters);
  if (name.endsWith("-steps-dlq")) return consumeDeadSteps(batch as MessageBatch<StepMessage>, env);
  if (name.endsWith("-deliveries")) return consumeDeliveries(batch as MessageBatch<DeliveryMessage>, env);
  if (name.endsWith("-deliveries-dlq")) {
    for (const msg of (batch as MessageBatch<DeliveryMessage>).messages) {
      await taskGroup(env, msg.body.client, msg.body.taskgroupId).deadLetterDelivery(msg.body.deliveryId);
      msg.ack();
    }
    return;
  }
  console.error(JSON.stringify({ msg: "message from an unknown queue", queue: name }));
  batch.retryAll({ delaySeconds: 60 });
}
