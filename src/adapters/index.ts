import { s3Upload } from "./s3-upload";
import type { Adapter } from "./types";

/** The adapters the API Worker runs itself (light: no heavy WASM). */
export const apiAdapters: Record<string, Adapter<any>> = {
  [s3Upload.name]: s3Upload,
};

export type AdapterTable = Record<string, Adapter<any>>;
