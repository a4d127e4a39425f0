import { s3Upload } from "./s3-upload";
import type { Adapter, AdaptersOf } from "./types";

/** The adapters the API Worker runs itself (light: no heavy WASM). */
export const apiAdapters = {
  "s3-upload": s3Upload,
} satisfies AdaptersOf<"api">;

/** What a Worker's step runner looks adapters up in, by the name a configuration gives. */
export type AdapterTable = Readonly<Record<string, Adapter>>;
