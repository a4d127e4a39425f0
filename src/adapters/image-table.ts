import { apiAdapters, type AdapterTable } from "./index";
import { imageCompositor } from "./image-compositor";

/** Everything the image Worker can run: the image adapters, plus the light ones that share a chain with them. */
export const imageAdapters: AdapterTable = {
  ...apiAdapters,
  [imageCompositor.name]: imageCompositor,
};
