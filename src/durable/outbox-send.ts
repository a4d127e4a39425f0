import { fault } from "../lib/faults";
import { clientStore } from "../lib/stubs";
import type { OutboxItem, QueueName } from "./outbox";
import type { InfoRow } from "./taskgroup-view";

/** The outbox items that are one outbound call each: a queue message, or the group's row in the client's index. */
export async function sendOutboxItem(
  env: Pick<Env, "STEPS" | "IMAGE" | "MEDIA" | "DELIVERIES" | "CLIENTS">,
  info: InfoRow,
  item: Extract<OutboxItem, { kind: "send" | "index" }>,
): Promise<void> {
  if (item.kind === "send") {
    fault(`send:${item.queue}`, info.client);
    const queue: Record<QueueName, Queue> = {
      steps: env.STEPS,
      image: env.IMAGE,
      media: env.MEDIA,
      deliveries: env.DELIVERIES,
    };
    await queue[item.queue].send(item.body, item.delaySeconds > 0 ? { delaySeconds: item.delaySeconds } : undefined);
    return;
  }
  fault("rpc:index", info.client);
  await clientStore(env, info.client).indexTaskgroup({
    id: info.id,
    kind: info.kind,
    status: info.status,
    created_at: info.created_at,
    updated_at: new Date().toISOString(),
  });
}
