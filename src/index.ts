import { app } from "./app";
import { guardBody } from "./lib/body-guard";
import { queue } from "./queues";

export { ClientStore } from "./durable/client-store";
export { Directory } from "./durable/directory";
export { Taskgroup } from "./durable/taskgroup";
export { EngineRpc } from "./queues/engine-rpc";

export default {
  // Every answer, refusals and errors included, leaves only once a body the app started is read to its end
  // (bounded): see lib/body-guard.ts.
  async fetch(req, env, ctx) {
    const guarded = guardBody(req);
    try {
      return await app.fetch(guarded.request, env, ctx);
    } finally {
      await guarded.settle();
    }
  },
  queue,
} satisfies ExportedHandler<Env>;
