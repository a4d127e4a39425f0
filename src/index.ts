import { app } from "./app";
import { queue } from "./queues";

export { ClientStore } from "./durable/client-store";
export { Directory } from "./durable/directory";
export { Taskgroup } from "./durable/taskgroup";
export { EngineRpc } from "./queues/engine-rpc";

export default { fetch: app.fetch, queue } satisfies ExportedHandler<Env>;
