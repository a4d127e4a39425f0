import type { AdapterTable } from "../adapters";
import type { StepMessage } from "../durable/taskgroup-model";
import { consumeDeadSteps, consumeSteps, type StepEnv } from "./steps";

/**
 * The whole of a heavy Worker (image, media): a consumer of its steps queue running its adapter
 * table, and of that queue's dead-letter queue (`*-dlq`).
 */
export function stepWorker(adapters: AdapterTable) {
  return {
    async queue(batch, env) {
      if (batch.queue.endsWith("-dlq")) return consumeDeadSteps(batch as MessageBatch<StepMessage>, env);
      return consumeSteps(batch as MessageBatch<StepMessage>, env, adapters);
    },
  } satisfies ExportedHandler<StepEnv>;
}
