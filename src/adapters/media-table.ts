import type { AdaptersOf } from "./types";
import { videoJoin } from "./video-join";
import { videoOverlay } from "./video-overlay";
import { videoThumbnail } from "./video-thumbnail";
import { videoTranscode } from "./video-transcode";

/** Everything the media Worker runs: the ffmpeg adapters (other links of a chain run on their own Workers). */
export const mediaAdapters = {
  "video-overlay": videoOverlay,
  "video-join": videoJoin,
  "video-transcode": videoTranscode,
  "video-thumbnail": videoThumbnail,
} satisfies AdaptersOf<"media">;
