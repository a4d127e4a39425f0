import type { AdapterTable } from "./index";
import { imageCompositor } from "./image-compositor";

/** Everything the image Worker runs: the image adapters (other links of a chain run on their own Workers). */
export const imageAdapters: AdapterTable = {
  [imageCompositor.name]: imageCompositor,
};
