import type { AdapterTable } from "../adapters";
import type { Engine } from "./engine";
import type { RunEnv } from "./run-env";
import { consumeDeadSteps, consumeSteps, type NativeEndpoints } from "./steps";
import type { StepMessage } from "../engine/types";

/**
 * What a heavy Worker's handler needs of its bindings (`ImageEnv`, `MediaEnv`: types/image.d.ts and
 * types/media.d.ts, generated from image/ and media/wrangler.toml): R2 for its step's files, its limits,
 * and the engine's narrow entrypoint. Nothing of the API Worker's Env (no Durable Objects, no SECRETS_KEY).
 */
export type StepWorkerEnv = RunEnv & Pick<ImageEnv, "ENGINE">;

/** The whole of a heavy Worker: a consumer of its steps queue and of that queue's dead-letter queue. */
export function stepWorker<E extends StepWorkerEnv>(
  adapters: AdapterTable,
  native?: (env: E) => NativeEndpoints,
): ExportedHandler<E> {
  return {
    async queue(batch, env) {
      const engine = env.ENGINE as unknown as Engine;
      if (batch.queue.endsWith("-dlq")) return consumeDeadSteps(batch as MessageBatch<StepMessage>, engine);
      return consumeSteps(batch as MessageBatch<StepMessage>, env, engine, adapters, undefined, native?.(env));
    },
  };
}
