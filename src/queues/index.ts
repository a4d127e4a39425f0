import { storageTargetDocs } from "../durable/client-documents";
import { apiAdapters } from "../adapters";
import { openTarget } from "../durable/storage-targets";
import { StepError } from "../lib/failures";
import { objectUrl } from "../adapters/s3-client";
import { outboundProblem } from "../lib/outbound-url";
import { isDev } from "../lib/environment";
import { consumeDeadDeliveries, consumeDeliveries } from "./deliveries";
import { directEngine } from "./engine";
import { consumeDeadSteps, consumeSteps } from "./steps";
import type { DeliveryMessage, StepMessage } from "../engine/types";

/** One queue handler for the Worker; queues are told apart by name so prefixed deployments work. */
export async function queue(batch: MessageBatch, env: Env, _ctx?: ExecutionContext): Promise<void> {
  const name = batch.queue;
  const engine = directEngine(env);
  if (name.endsWith("-steps"))
    return consumeSteps(batch as MessageBatch<StepMessage>, env, engine, apiAdapters, targetOpener(env));
  if (name.endsWith("-steps-dlq")) return consumeDeadSteps(batch as MessageBatch<StepMessage>, engine);
  if (name.endsWith("-deliveries")) return consumeDeliveries(batch as MessageBatch<DeliveryMessage>, env);
  if (name.endsWith("-deliveries-dlq")) return consumeDeadDeliveries(batch as MessageBatch<DeliveryMessage>, env);
  console.error(JSON.stringify({ msg: "message from an unknown queue", queue: name }));
  batch.retryAll({ delaySeconds: 60 });
}

/** Storage targets are opened here only: the API Worker is the one Worker holding SECRETS_KEY. */
function targetOpener(env: Pick<Env, "CLIENTS" | "SECRETS_KEY" | "ENVIRONMENT">) {
  return async (client: string, name: string) => {
    const sealed = await storageTargetDocs(env, client).get(name);
    if (!sealed) throw new StepError({ kind: "storage_target_missing", name });
    const target = await openTarget(env.SECRETS_KEY, sealed);
    // Checked again at use: a target stored under older rules must not reach a private address now.
    const problem = outboundProblem(new URL(objectUrl(target, "key")), isDev(env));
    if (problem) throw new StepError({ kind: "storage_target_invalid", name, detail: `its object URL ${problem}` });
    return target;
  };
}
