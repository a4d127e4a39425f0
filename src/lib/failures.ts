/**
 * Why a step failed, as data. The queue consumer decides retry-or-fail from
 * `retryable`; users see only `message`; internal detail goes to the log.
 */
import type { Failure, VideoRuntime } from "../engine/types";
const RUNTIME_NAME: Record<VideoRuntime, string> = { wasm: "the media Worker", native: "the native runtime" };

export class StepError extends Error {
  constructor(readonly failure: Failure) {
    super(describeFailure(failure).message);
    this.name = "StepError";
  }
}

export function describeFailure(f: Failure): { message: string; retryable: boolean } {
  switch (f.kind) {
    case "storage_rejected":
      return {
        message: `Failed to upload ${f.fileName} to ${f.bucket}/${f.key}: ${f.detail}`,
        retryable: false,
      };
    case "storage_unavailable":
      return {
        message: `Failed to upload ${f.fileName} to ${f.bucket}/${f.key}: ${f.detail}`,
        retryable: true,
      };
    case "storage_target_missing":
      return { message: `Storage target '${f.name}' does not exist.`, retryable: false };
    case "storage_target_invalid":
      return { message: `Storage target '${f.name}' cannot be used: ${f.detail}.`, retryable: false };
    case "asset_missing":
      return { message: `Asset '${f.name}' named by '${f.param}' does not exist.`, retryable: false };
    case "input_missing":
      return { message: `The input file '${f.fileName}' is no longer stored.`, retryable: false };
    case "input_fetch_failed":
      return { message: `Could not fetch the input from ${f.url}: ${f.detail}`, retryable: f.retryable };
    case "input_too_large":
      return { message: `The input is larger than the ${f.limitMb} MB limit.`, retryable: false };
    case "image_unsupported":
      return { message: `${f.fileName} is not a PNG or JPEG image.`, retryable: false };
    case "image_undecodable":
      return {
        message: `${f.fileName} could not be decoded (${f.detail}); is it truncated or corrupt?`,
        retryable: false,
      };
    case "image_too_large":
      return {
        message: `${f.fileName} is ${f.width}×${f.height}, over the ${f.limit / 1e6} megapixel limit.`,
        retryable: false,
      };
    case "image_file_too_large":
      return {
        message: `${f.fileName} is ${f.sizeMb} MB, over the ${f.limitMb} MB limit of an image file.`,
        retryable: false,
      };
    case "template_key_missing":
      return { message: `The text template uses {{${f.key}}}, which the extras do not define.`, retryable: false };
    case "video_unsupported":
      return { message: `${f.fileName} could not be read as a video (${f.detail}).`, retryable: false };
    case "video_too_large":
      return {
        message: `${f.fileName} is ${f.sizeMb} MB, over the ${f.limitMb} MB video limit of ${RUNTIME_NAME[f.runtime]}.`,
        retryable: false,
      };
    case "video_too_long":
      return {
        message: `${f.fileName} lasts ${f.seconds} s, over the ${f.limitSeconds} s video limit of ${RUNTIME_NAME[f.runtime]}.`,
        retryable: false,
      };
    case "video_frame_too_large":
      return {
        message:
          f.runtime === "wasm"
            ? `${f.fileName} is ${f.width}×${f.height}; the media Worker handles up to ${f.limit} (a larger frame takes ffmpeg past the 128 MB a Worker has).`
            : `${f.fileName} is ${f.width}×${f.height}; the native runtime handles up to ${f.limit}.`,
        retryable: false,
      };
    case "renditions_too_large":
      return {
        message: `The renditions ${f.sizes} are encoded together and, added up, exceed the ${f.limit} frame ${RUNTIME_NAME[f.runtime]} handles.`,
        retryable: false,
      };
    case "ffmpeg_failed":
      return { message: `ffmpeg failed: ${f.detail}`, retryable: false };
    case "native_unavailable":
      return {
        message:
          "The step asks for runtime native, and this deployment has no native media runtime (the media Worker's NATIVE container binding).",
        retryable: false,
      };
    case "native_unreachable":
      return { message: `The native media runtime could not be reached (${f.detail}).`, retryable: true };
    case "native_transfer_failed":
      return { message: `The native media runtime could not move a file: ${f.detail}.`, retryable: f.retryable };
    case "native_failed":
      return { message: `The native media runtime stopped before the step ended (${f.detail}).`, retryable: true };
    case "timed_out":
      return { message: `The step did not finish within ${f.seconds} s.`, retryable: false };
    case "dead_lettered":
      return { message: "The step could not be run: its queue message was dead-lettered.", retryable: false };
    case "internal":
      return { message: `Internal error while running the step (reference ${f.reference}).`, retryable: true };
    default: {
      const unreachable: never = f;
      throw new Error(`unhandled failure ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Turns anything thrown by an adapter into a Failure, logging what users must not see. */
export function toFailure(err: unknown): Failure {
  if (err instanceof StepError) return err.failure;
  const reference = crypto.randomUUID();
  console.error(JSON.stringify({ msg: "step threw", reference, error: String(err), stack: (err as Error)?.stack }));
  return { kind: "internal", reference };
}
