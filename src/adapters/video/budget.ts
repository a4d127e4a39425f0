/**
 * What each video runtime can hold, and which one a step runs on. ffmpeg.wasm in the media Worker is
 * at the edge, starts in milliseconds and costs nothing extra, but it lives in a 128 MB isolate;
 * native ffmpeg in a container has every core and gigabytes. A step runs on WASM when its frames,
 * bytes and length fit the WASM budget, and on native otherwise (README "Video: two runtimes").
 */
import { StepError } from "../../lib/failures";
import type { AdapterContext } from "../types";
import type { VideoRuntime } from "../../engine/types";

/**
 * The largest frame whose WASM run fits the isolate's 128 MB, measured whole (`npm run bench limits`:
 * the workerd process's resident peak, so ffmpeg's heap, its compiled code, and the bytes in JS):
 * 119–128 MB at 960×540 (5 s, 0.8 MB to 30 s, 5 MB in), 142 MB at 1280×720 (5 s).
 */
const WASM_FRAME = { width: 960, height: 540 };
/** 2160p: an overlay measured at 708 MB of ffmpeg's resident peak natively (`npm run bench native`), well inside a standard-4's 12 GiB. */
const NATIVE_FRAME = { width: 3840, height: 2160 };

export interface Budget {
  runtime: VideoRuntime;
  maxPixels: number;
  frameLimit: string;
  maxMb: number;
  maxSeconds: number;
}

export type Pinned = "auto" | VideoRuntime;

export function budgetOf(ctx: AdapterContext, runtime: VideoRuntime): Budget {
  const frame = runtime === "wasm" ? WASM_FRAME : NATIVE_FRAME;
  const { maxVideoMb, maxVideoSeconds, maxFileMb, maxNativeSeconds } = ctx.limits;
  return {
    runtime,
    maxPixels: frame.width * frame.height,
    frameLimit: `${frame.width}×${frame.height}`,
    maxMb: runtime === "wasm" ? maxVideoMb : maxFileMb,
    maxSeconds: runtime === "wasm" ? maxVideoSeconds : maxNativeSeconds,
  };
}

/** Bytes of one input (or of all the inputs held at once), held to the runtime's cap. */
export function checkSize(b: Budget, what: string, bytes: number): void {
  if (bytes > b.maxMb * 1024 * 1024)
    throw new StepError({
      kind: "video_too_large",
      fileName: what,
      sizeMb: Math.ceil(bytes / 1024 / 1024),
      limitMb: b.maxMb,
      runtime: b.runtime,
    });
}

/** A frame the adapter would make, not only one it reads, must fit: scaling up is checked too. */
export function checkFrame(b: Budget, what: string, size: { width: number; height: number }): void {
  if (size.width * size.height > b.maxPixels)
    throw new StepError({
      kind: "video_frame_too_large",
      fileName: what,
      width: size.width,
      height: size.height,
      limit: b.frameLimit,
      runtime: b.runtime,
    });
}

export function checkLength(b: Budget, what: string, seconds: number): void {
  if (seconds > b.maxSeconds)
    throw new StepError({
      kind: "video_too_long",
      fileName: what,
      seconds: Math.round(seconds),
      limitSeconds: b.maxSeconds,
      runtime: b.runtime,
    });
}

/**
 * The runtime a step runs on. `check` throws when the step does not fit a budget. Pinned: that
 * runtime or its refusal. Auto: WASM when it fits, else native when this deployment has it, else
 * WASM's own refusal (what a deployment without the container binding has always said).
 */
export function pickRuntime(ctx: AdapterContext, pinned: Pinned, check: (b: Budget) => void): VideoRuntime {
  if (pinned === "native") {
    if (!ctx.native) throw new StepError({ kind: "native_unavailable" });
    check(budgetOf(ctx, "native"));
    return "native";
  }
  try {
    check(budgetOf(ctx, "wasm"));
    return "wasm";
  } catch (err) {
    if (pinned === "wasm" || !ctx.native || !(err instanceof StepError)) throw err;
  }
  check(budgetOf(ctx, "native"));
  return "native";
}
