import { apiAdapters, type AdapterTable } from "./index";
import { imageCompositor } from "./image-compositor";

/** Everything the media Worker can run: the heavy adapters, plus the light ones that share a chain with them. */
export const mediaAdapters: AdapterTable = {
  ...apiAdapters,
  [imageCompositor.name]: imageCompositor,
};
