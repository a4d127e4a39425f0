import { imageAdapters } from "./adapters/image-table";
import type { StepMessage } from "./durable/taskgroup-model";
import { consumeDeadSteps, consumeSteps, type StepEnv } from "./queues/steps";

/** The image Worker's bindings: the subset of the API Worker's `Env` it declares in image/wrangler.toml. */
export type ImageEnv = StepEnv;

/** The image Worker: consumes `cascade-image` (steps with image adapters) and its dead-letter queue. */
export default {
  async queue(batch, env) {
    if (batch.queue.endsWith("-image-dlq")) return consumeDeadSteps(batch as MessageBatch<StepMessage>, env);
    return consumeSteps(batch as MessageBatch<StepMessage>, env, imageAdapters);
  },
} satisfies ExportedHandler<ImageEnv>;
