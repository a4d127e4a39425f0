import type { Adapter } from "./types";
import { videoJoinParams, type VideoJoinParams } from "./video-join.params";
import { StepError } from "../lib/failures";
import { budgetOf, checkLength, checkSize, pickRuntime } from "./video/budget";
import { checkInput, finish, h264, inspect, loadedOf, MP4, stem, stored, type VideoInput } from "./video/common";
import { execute } from "./video/job";
import type { StepFile } from "../engine/types";
import { exactly } from "./video/job-spec";

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** What the join filter needs of a part: whether it has audio, and its length for the silence that stands in. */
type Part = Pick<VideoInput, "fsName" | "info">;

/**
 * Every part is scaled and padded to the input's size, set to one frame rate and to 48 kHz stereo
 * (silence where a part has no audio), so the concatenation always plays; the duration is the sum.
 */
export function joinFilter(parts: Part[], width: number, height: number, fps: number): string {
  const chains = parts.map((part, i) => {
    const v = `[${i}:v]scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps},format=yuv420p[v${i}]`;
    const a = part.info?.audio
      ? `[${i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`
      : `anullsrc=r=48000:cl=stereo,atrim=duration=${part.info?.duration},aformat=sample_fmts=fltp[a${i}]`;
    return `${v};${a}`;
  });
  const inputs = parts.map((_, i) => `[v${i}][a${i}]`).join("");
  return `${chains.join(";")};${inputs}concat=n=${parts.length}:v=1:a=1[v][a]`;
}

/**
 * The filter needs every part's frame, length and audio, so a part is an MP4/MOV (known from its
 * index) or one WASM can probe; on native, all parts together are held to the one-file cap.
 */
export const videoJoin: Adapter<VideoJoinParams> = {
  name: "video-join",
  params: videoJoinParams,
  async run(input, p, ctx) {
    const files: [StepFile, string][] = [];
    if (p.prepend_file_name) files.push([await ctx.asset("prepend_file_name", p.prepend_file_name), "prepend.mp4"]);
    files.push([input, "main.mp4"]);
    if (p.append_file_name) files.push([await ctx.asset("append_file_name", p.append_file_name), "append.mp4"]);
    const bytes = files.reduce((n, [f]) => n + f.size, 0);
    // All parts sit in the isolate at once on WASM: together they get the one input's budget (README
    // "Video"). Where WASM is the only runtime, that is known before any part is read.
    if (!ctx.native || p.runtime === "wasm") checkSize(budgetOf(ctx, "wasm"), "the joined video", bytes);
    const parts: VideoInput[] = [];
    for (const [file, name] of files) parts.push(await inspect(ctx, file, name, p.runtime));
    const unknown = parts.find((part) => !part.info);
    if (unknown)
      throw new StepError({
        kind: "video_unsupported",
        fileName: unknown.file.file_name,
        detail: "a join needs each part as MP4/MOV, or small enough for the media Worker to probe",
      });
    const total = parts.reduce((s, x) => s + (x.info?.duration ?? 0), 0);
    const runtime = pickRuntime(ctx, p.runtime, (b) => {
      checkSize(b, "the joined video", bytes);
      for (const part of parts) checkInput(b, part);
      checkLength(b, "the joined video", total);
    });
    ctx.progress(0.05);
    const main = parts.find((x) => x.fsName === "main.mp4")!;
    const v = main.info!.video!;
    const fps = p.fps ?? Math.round(v.fps ?? 25);
    const args = [
      ...parts.flatMap((x) => ["-i", x.fsName]),
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
    const name = `${stem(input.file_name)}.mp4`;
    const run = await execute(
      ctx,
      runtime,
      {
        inputs: Object.fromEntries(files.map(([file, fsName]) => [fsName, file])),
        args,
        outputs: [exactly("out.mp4", "video/mp4", name)],
        seconds: total,
      },
      loadedOf(parts),
    );
    return finish(ctx, run, stored(run, name));
  },
};
