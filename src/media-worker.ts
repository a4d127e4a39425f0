import { mediaAdapters } from "./adapters/media-table";
import type { StepMessage } from "./durable/taskgroup-model";
import { consumeDeadSteps, consumeSteps, type StepEnv } from "./queues/steps";

/** The media Worker's bindings: the subset of the API Worker's `Env` it declares in media/wrangler.toml. */
export type MediaEnv = StepEnv;

/** The media Worker: consumes `cascade-media` (steps with ffmpeg adapters) and its dead-letter queue. */
export default {
  async queue(batch, env) {
    if (batch.queue.endsWith("-media-dlq")) return consumeDeadSteps(batch as MessageBatch<StepMessage>, env);
    return consumeSteps(batch as MessageBatch<StepMessage>, env, mediaAdapters);
  },
} satisfies ExportedHandler<MediaEnv>;
