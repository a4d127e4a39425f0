import { mediaAdapters } from "./adapters/media-table";
import { stepWorker } from "./queues/step-worker";

/** The media Worker (media/wrangler.toml): consumes `cascade-media` and its dead-letter queue. */
export default stepWorker(mediaAdapters);
