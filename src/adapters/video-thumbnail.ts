import { StepError } from "../lib/failures";
import type { Adapter, AdapterContext, StepFile } from "./types";
import { videoThumbnailParams, type VideoThumbnailParams } from "./video-thumbnail.params";
import { checkFrame, finish, loadVideo, rangeReader, readIndex, run, scaledSize, stem } from "./video/common";
import { cutGop, gopAt } from "./video/gop";

/** A time past the end would give no frame: take one from just before the end instead. */
const clamp = (time: number, duration: number | null) => Math.min(time, Math.max(0, (duration ?? 0) - 0.1));

/**
 * An H.264 MP4 is cut: only the group of pictures holding `time` is read (one ranged read) and
 * decoded, so the input's size and length do not matter; the GOP is held to the input size cap.
 * Anything else is read whole, within the media Worker's limits.
 */
async function source(ctx: AdapterContext, input: StepFile, wanted: number) {
  const index = await readIndex(ctx, input);
  if (index?.video && index.cut) {
    checkFrame(input.file_name, index.video);
    const time = clamp(wanted, index.duration);
    const gop = gopAt(index.cut, time);
    if (gop.length > ctx.limits.maxVideoMb * 1024 * 1024)
      throw new StepError({
        kind: "video_unsupported",
        fileName: input.file_name,
        detail: `its keyframes are ${Math.ceil(gop.length / 1024 / 1024)} MB apart at ${time} s, over the ${ctx.limits.maxVideoMb} MB a step reads at once`,
      });
    const data = await cutGop(index.cut, index.video, gop, rangeReader(ctx, input));
    return { video: index.video, data, seek: Math.max(0, time - gop.start), time, read: gop.length };
  }
  const video = await loadVideo(ctx, input, "in.mp4", index);
  const time = clamp(wanted, video.info.duration);
  return { video: video.info.video!, data: video.data, seek: time, time, read: input.size };
}

/** One PNG frame at `time` seconds. */
export const videoThumbnail: Adapter<VideoThumbnailParams> = {
  name: "video-thumbnail",
  params: videoThumbnailParams,
  async run(input, p, ctx) {
    const src = await source(ctx, input, p.time);
    checkFrame("the thumbnail", scaledSize(src.video, p.width));
    const scale = p.width ? ["-vf", `scale=${p.width}:-2`] : [];
    const out = await run(
      { "in.mp4": src.data },
      ["-ss", String(src.seek), "-i", "in.mp4", "-frames:v", "1", ...scale, "out.png"],
      ctx,
    );
    return finish(ctx, out, `${stem(input.file_name)}.png`, out.read("out.png"), "image/png", {
      time: src.time,
      bytes_read: src.read,
    });
  },
};
