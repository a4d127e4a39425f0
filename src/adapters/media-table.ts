import { apiAdapters, type AdapterTable } from "./index";
import { videoJoin } from "./video-join";
import { videoOverlay } from "./video-overlay";
import { videoThumbnail } from "./video-thumbnail";
import { videoTranscode } from "./video-transcode";

/** Everything the media Worker can run: the ffmpeg adapters, plus the light ones that share a chain with them. */
export const mediaAdapters: AdapterTable = {
  ...apiAdapters,
  [videoOverlay.name]: videoOverlay,
  [videoJoin.name]: videoJoin,
  [videoTranscode.name]: videoTranscode,
  [videoThumbnail.name]: videoThumbnail,
};
