import type { Adapter } from "./types";
import { videoThumbnailParams, type VideoThumbnailParams } from "./video-thumbnail.params";
import { checkFrame, finish, loadVideo, run, scaledSize, stem } from "./video/common";

/** One PNG frame at `time` seconds. */
export const videoThumbnail: Adapter<VideoThumbnailParams> = {
  name: "video-thumbnail",
  params: videoThumbnailParams,
  async run(input, p, ctx) {
    const video = await loadVideo(ctx, input, "in.mp4");
    checkFrame("the thumbnail", scaledSize(video.info.video!, p.width));
    // A time past the end would give no frame: take one from just before the end instead.
    const time = Math.min(p.time, Math.max(0, (video.info.duration ?? 0) - 0.1));
    const scale = p.width ? ["-vf", `scale=${p.width}:-2`] : [];
    const out = await run(
      { "in.mp4": video.data },
      ["-ss", String(time), "-i", "in.mp4", "-frames:v", "1", ...scale, "out.png"],
      ctx,
    );
    return finish(ctx, out, `${stem(input.file_name)}.png`, out.read("out.png"), "image/png", { time });
  },
};
