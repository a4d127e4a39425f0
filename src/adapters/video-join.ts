import { StepError } from "../lib/failures";
import type { Adapter, StepFile } from "./types";
import { videoJoinParams, type VideoJoinParams } from "./video-join.params";
import { checkSize, finish, h264, loadVideo, MP4, run, stem, type LoadedVideo } from "./video/common";

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/**
 * Every part is scaled and padded to the input's size, set to one frame rate and to 48 kHz stereo
 * (silence where a part has no audio), so the concatenation always plays; the duration is the sum.
 */
export function joinFilter(parts: LoadedVideo[], width: number, height: number, fps: number): string {
  const chains = parts.map((part, i) => {
    const v = `[${i}:v]scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps},format=yuv420p[v${i}]`;
    const a = part.info.audio
      ? `[${i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`
      : `anullsrc=r=48000:cl=stereo,atrim=duration=${part.info.duration},aformat=sample_fmts=fltp[a${i}]`;
    return `${v};${a}`;
  });
  const inputs = parts.map((_, i) => `[v${i}][a${i}]`).join("");
  return `${chains.join(";")};${inputs}concat=n=${parts.length}:v=1:a=1[v][a]`;
}

export const videoJoin: Adapter<VideoJoinParams> = {
  name: "video-join",
  params: videoJoinParams,
  async run(input, p, ctx) {
    const files: [StepFile, string][] = [];
    if (p.prepend_file_name) files.push([await ctx.asset("prepend_file_name", p.prepend_file_name), "prepend.mp4"]);
    files.push([input, "main.mp4"]);
    if (p.append_file_name) files.push([await ctx.asset("append_file_name", p.append_file_name), "append.mp4"]);
    // All parts sit in the isolate at once: together they get the one input's budget (README "Video").
    checkSize(
      ctx,
      "the joined video",
      files.reduce((n, [f]) => n + f.size, 0),
    );
    const parts: LoadedVideo[] = [];
    for (const [file, name] of files) parts.push(await loadVideo(ctx, file, name));
    const main = parts.find((x) => x.name === "main.mp4")!;
    const total = parts.reduce((s, x) => s + (x.info.duration ?? 0), 0);
    if (total > ctx.limits.maxVideoSeconds) {
      throw new StepError({
        kind: "video_too_long",
        fileName: "the joined video",
        seconds: Math.round(total),
        limitSeconds: ctx.limits.maxVideoSeconds,
      });
    }
    ctx.progress(0.05);
    const v = main.info.video!;
    const fps = p.fps ?? Math.round(v.fps ?? 25);
    const args = [
      ...parts.flatMap((x) => ["-i", x.name]),
      "-filter_complex",
      joinFilter(parts, even(v.width), even(v.height), fps),
      "-map",
      "[v]",
      "-map",
      "[a]",
      ...h264(),
      "-c:a",
      "aac",
      "-b:a",
      "128k",
      ...MP4,
      "out.mp4",
    ];
    const out = await run(Object.fromEntries(parts.map((x) => [x.name, x.data])), args, ctx);
    return finish(ctx, out, `${stem(input.file_name)}.mp4`, out.read("out.mp4"), "video/mp4");
  },
};
