/** One ffmpeg run as data: what both runtimes execute (job.ts runs it; native.ts sends it to the native server). */
import type { StepFile, VideoRuntime } from "../../engine/types";

/** Files ffmpeg writes that the step keeps, in the order they are stored (segments before the lists naming them). */
export interface OutputRule {
  /** A regular expression a whole file name matches. */
  match: string;
  contentType: string;
  /** Stored under this name instead (for a rule matching one file). */
  as?: string;
}

export interface FfmpegJob {
  /** ffmpeg's file name (as the arguments use it) → the stored file. */
  inputs: Record<string, StepFile>;
  args: string[];
  outputs: OutputRule[];
  /** Seconds of media ffmpeg works through, for progress. */
  seconds: number;
  /** Inputs whose limits are checked only when the native server has probed them (not MP4, over WASM's size). */
  probe?: string[];
  /** Inputs the native server hands ffmpeg as a URL, so it reads only the ranges it seeks to. */
  stream?: string[];
}

export interface JobRun {
  runtime: VideoRuntime;
  /** The stored outputs, in the rules' order. */
  files: StepFile[];
  /** The ffmpeg run itself. */
  ms: number;
  /** WASM: ffmpeg's heap after the run. Native: ffmpeg's resident peak. */
  memoryMb: number;
}

export const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A rule for exactly one file. */
export const exactly = (name: string, contentType: string, as?: string): OutputRule => ({
  match: escapeRegex(name),
  contentType,
  as,
});
