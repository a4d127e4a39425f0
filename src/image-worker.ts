import { imageAdapters } from "./adapters/image-table";
import { stepWorker } from "./queues/step-worker";

/** The image Worker (image/wrangler.toml): consumes `cascade-image` and its dead-letter queue. */
export default stepWorker<ImageEnv>(imageAdapters);
