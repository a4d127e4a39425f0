import type { AdapterTable } from "./index";
import { videoJoin } from "./video-join";
import { videoOverlay } from "./video-overlay";
import { videoThumbnail } from "./video-thumbnail";
import { videoTranscode } from "./video-transcode";

/** Everything the media Worker runs: the ffmpeg adapters (other links of a chain run on their own Workers). */
export const mediaAdapters: AdapterTable = {
  [videoOverlay.name]: videoOverlay,
  [videoJoin.name]: videoJoin,
  [videoTranscode.name]: videoTranscode,
  [videoThumbnail.name]: videoThumbnail,
};
