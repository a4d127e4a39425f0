import { StepError } from "../lib/failures";
import type { Adapter } from "./types";
import { videoOverlayParams, type VideoOverlayParams } from "./video-overlay.params";
import { checkFrame, pickRuntime } from "./video/budget";
import { checkInput, finish, h264, inspect, loadedOf, MP4, scaledSize, stem, stored } from "./video/common";
import { probe } from "./video/ffmpeg";
import { execute } from "./video/job";
import { exactly } from "./video/job-spec";

/** ffmpeg overlay coordinates for a named corner (W,H: video; w,h: overlay). */
export function overlayPosition(p: Pick<VideoOverlayParams, "position" | "x" | "y" | "margin">): {
  x: string;
  y: string;
} {
  if (p.x !== undefined && p.y !== undefined) return { x: String(p.x), y: String(p.y) };
  const m = p.margin;
  const x = p.position === "center" ? "(W-w)/2" : p.position.endsWith("left") ? `${m}` : `W-w-${m}`;
  const y = p.position === "center" ? "(H-h)/2" : p.position.startsWith("top") ? `${m}` : `H-h-${m}`;
  return { x, y };
}

/** ffmpeg's arguments for the overlay, but the output file: the adapter's, and the bench's native run. */
export function overlayArgs(p: VideoOverlayParams): string[] {
  return [
    "-i",
    "in.mp4",
    "-i",
    "overlay.img",
    "-filter_complex",
    overlayFilter(p),
    "-map",
    "[v]",
    "-map",
    "0:a?",
    ...h264(),
    "-c:a",
    "copy",
    ...MP4,
  ];
}

function overlayFilter(p: VideoOverlayParams): string {
  const { x, y } = overlayPosition(p);
  const scale = p.width ? `scale=${p.width}:-1,` : "";
  const alpha = p.opacity < 1 ? `,colorchannelmixer=aa=${p.opacity}` : "";
  const enable =
    p.start !== undefined || p.end !== undefined ? `:enable='between(t,${p.start ?? 0},${p.end ?? 1e9})'` : "";
  return `[1:v]${scale}format=rgba${alpha}[ov];[0:v][ov]overlay=${x}:${y}${enable}:format=auto,format=yuv420p[v]`;
}

/** The overlay image is read whole (ffmpeg.wasm probes its size): an image, not a video, so a small cap. */
const MAX_OVERLAY_MB = 32;

/** An image over a video; the audio is copied untouched. */
export const videoOverlay: Adapter<VideoOverlayParams> = {
  name: "video-overlay",
  params: videoOverlayParams,
  async run(input, p, ctx) {
    const video = await inspect(ctx, input, "in.mp4", p.runtime);
    const overlayFile = await ctx.asset("overlay_file_name", p.overlay_file_name);
    if (overlayFile.size > MAX_OVERLAY_MB * 1024 * 1024)
      throw new StepError({ kind: "input_too_large", limitMb: MAX_OVERLAY_MB });
    const overlay = new Uint8Array(await (await ctx.read(overlayFile)).arrayBuffer());
    const image = (await probe(overlay, "overlay.img")).info.video;
    if (!image)
      throw new StepError({
        kind: "image_undecodable",
        fileName: overlayFile.file_name,
        detail: "ffmpeg found no image in it",
      });
    const runtime = pickRuntime(ctx, p.runtime, (b) => {
      checkInput(b, video);
      checkFrame(b, `the overlay ${overlayFile.file_name}`, scaledSize(image, p.width));
    });
    ctx.progress(0.05);
    const name = `${stem(input.file_name)}.mp4`;
    const run = await execute(
      ctx,
      runtime,
      {
        inputs: { "in.mp4": input, "overlay.img": overlayFile },
        args: [...overlayArgs(p), "out.mp4"],
        outputs: [exactly("out.mp4", "video/mp4", name)],
        seconds: video.info?.duration ?? 0,
        probe: video.info ? [] : ["in.mp4"],
      },
      { ...loadedOf([video]), "overlay.img": overlay },
    );
    return finish(ctx, run, stored(run, name));
  },
};
