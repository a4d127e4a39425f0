import type { AdaptersOf } from "./types";
import { imageCompositor } from "./image-compositor";

/** Everything the image Worker runs: the image adapters (other links of a chain run on their own Workers). */
export const imageAdapters = {
  "image-compositor": imageCompositor,
} satisfies AdaptersOf<"image">;
