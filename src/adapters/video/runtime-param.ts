import { z } from "zod";

/** Every video adapter's `runtime` param (README "Video: two runtimes"). */
export const runtimeParam = z
  .enum(["auto", "wasm", "native"])
  .default("auto")
  .describe(
    "Where ffmpeg runs: auto (WASM in the media Worker when the step fits its budget, else native), or pinned to one; a pinned runtime that cannot run the step fails it with the reason.",
  );
