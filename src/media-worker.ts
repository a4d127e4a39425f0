import { mediaAdapters } from "./adapters/media-table";
import { nativeEndpoints } from "./adapters/video/native-endpoint";
import { stepWorker } from "./queues/step-worker";

export { NativeMedia } from "./adapters/video/native-endpoint";

/** The media Worker (media/wrangler.toml): consumes `cascade-media` and its dead-letter queue. */
export default stepWorker<MediaEnv>(mediaAdapters, nativeEndpoints);
