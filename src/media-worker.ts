import { mediaAdapters } from "./adapters/media-table";
import { nativeEndpoints } from "./queues/native-endpoint";
import { stepWorker } from "./queues/step-worker";

export { NativeMedia } from "./queues/native-endpoint";

/** The media Worker (media/wrangler.toml): consumes `cascade-media` and its dead-letter queue. */
export default stepWorker<MediaEnv>(mediaAdapters, nativeEndpoints);
