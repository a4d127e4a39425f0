import { StepError } from "../lib/failures";
import type { Adapter } from "./types";
import { videoThumbnailParams, type VideoThumbnailParams } from "./video-thumbnail.params";
import { type Budget, checkFrame, pickRuntime } from "./video/budget";
import {
  checkInput,
  finish,
  inspect,
  loadedOf,
  rangeReader,
  readIndex,
  scaledSize,
  stem,
  stored,
} from "./video/common";
import { cutGop, gopAt } from "./video/gop";
import { execute } from "./video/job";
import { exactly } from "./video/job-spec";

/** A time past the end would give no frame: take one from just before the end instead. */
const clamp = (time: number, duration: number | null) => Math.min(time, Math.max(0, (duration ?? 0) - 0.1));

const frameArgs = (seek: number, input: string, p: VideoThumbnailParams) => [
  "-ss",
  String(seek),
  "-i",
  input,
  "-frames:v",
  "1",
  ...(p.width ? ["-vf", `scale=${p.width}:-2`] : []),
  "out.png",
];

/**
 * One PNG frame at `time` seconds. On WASM, an H.264 MP4 is cut: only the group of pictures holding
 * `time` is read (one ranged read) and decoded, so the input's size and length do not matter; the
 * GOP is held to the input size cap. Natively, ffmpeg reads the input through its link and seeks with
 * ranged requests, so it too reads little of a long file. Anything else is read whole.
 */
export const videoThumbnail: Adapter<VideoThumbnailParams> = {
  name: "video-thumbnail",
  params: videoThumbnailParams,
  async run(input, p, ctx) {
    const index = await readIndex(ctx, input);
    const png = `${stem(input.file_name)}.png`;
    const outputs = [exactly("out.png", "image/png", png)];
    if (index?.video && index.cut) {
      const video = index.video;
      const time = clamp(p.time, index.duration);
      const gop = gopAt(index.cut, time);
      const runtime = pickRuntime(ctx, p.runtime, (b: Budget) => {
        checkFrame(b, input.file_name, video);
        checkFrame(b, "the thumbnail", scaledSize(video, p.width));
        if (b.runtime === "wasm" && gop.length > b.maxMb * 1024 * 1024)
          throw new StepError({
            kind: "video_unsupported",
            fileName: input.file_name,
            detail: `its keyframes are ${Math.ceil(gop.length / 1024 / 1024)} MB apart at ${time} s, over the ${b.maxMb} MB a step reads at once`,
          });
      });
      const seconds = 1;
      if (runtime === "native") {
        const run = await execute(ctx, runtime, {
          inputs: { "in.mp4": input },
          args: frameArgs(time, "in.mp4", p),
          outputs,
          seconds,
          stream: ["in.mp4"],
        });
        return finish(ctx, run, stored(run, png), { time, bytes_read: null });
      }
      const data = await cutGop(index.cut, video, gop, rangeReader(ctx, input));
      const seek = Math.max(0, time - gop.start);
      // The cut GOP stands in for the input: WASM reads nothing else.
      const run = await execute(
        ctx,
        runtime,
        { inputs: { "in.mp4": input }, args: frameArgs(seek, "in.mp4", p), outputs, seconds },
        { "in.mp4": data },
      );
      return finish(ctx, run, stored(run, png), { time, bytes_read: gop.length });
    }
    const video = await inspect(ctx, input, "in.mp4", p.runtime);
    const runtime = pickRuntime(ctx, p.runtime, (b) => {
      checkInput(b, video);
      if (video.info?.video) checkFrame(b, "the thumbnail", scaledSize(video.info.video, p.width));
    });
    const time = clamp(p.time, video.info?.duration ?? null);
    const run = await execute(
      ctx,
      runtime,
      {
        inputs: { "in.mp4": input },
        args: frameArgs(time, "in.mp4", p),
        outputs,
        seconds: 1,
        probe: video.info ? [] : ["in.mp4"],
      },
      loadedOf([video]),
    );
    return finish(ctx, run, stored(run, png), { time, bytes_read: input.size });
  },
};
