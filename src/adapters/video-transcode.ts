import type { Adapter } from "./types";
import { videoTranscodeParams, type VideoTranscodeParams } from "./video-transcode.params";
import { budgetOf, checkFrame, pickRuntime } from "./video/budget";
import { checkInput, finish, h264, inspect, loadedOf, MP4, scaledSize, stem, stored } from "./video/common";
import { execute } from "./video/job";
import { ladderJob, ladderResult, renditionSizes } from "./video/ladder";
import { escapeRegex, exactly } from "./video/job-spec";

export function scaleFilter(p: Pick<VideoTranscodeParams, "width" | "height">): string[] {
  if (!p.width && !p.height) return [];
  return ["-vf", `scale=${p.width ?? -2}:${p.height ?? -2}`];
}

/** ffmpeg's arguments for an HLS VOD playlist `<name>.m3u8` and its `<name>_NNN.ts` segments. */
export function hlsArgs(p: VideoTranscodeParams, name: string, codec: string[]): string[] {
  return [
    "-i",
    "in.mp4",
    ...codec,
    // A keyframe at every segment boundary, so segments have the length asked for and each starts cleanly.
    "-force_key_frames",
    `expr:gte(t,n_forced*${p.segment_seconds})`,
    "-sc_threshold",
    "0",
    "-f",
    "hls",
    "-hls_time",
    String(p.segment_seconds),
    "-hls_playlist_type",
    "vod",
    "-hls_segment_filename",
    `${name}_%03d.ts`,
    `${name}.m3u8`,
  ];
}

/** H.264/AAC as MP4, or as an HLS VOD playlist with its segments (all stored beside each other in R2), or a CMAF ladder. */
export const videoTranscode: Adapter<VideoTranscodeParams> = {
  name: "video-transcode",
  params: videoTranscodeParams,
  async run(input, p, ctx) {
    const video = await inspect(ctx, input, "in.mp4", p.runtime);
    const name = stem(input.file_name);
    const source = video.info?.video;
    const runtime = pickRuntime(ctx, p.runtime, (b) => {
      checkInput(b, video);
      if (!source) return;
      if (p.format === "cmaf") renditionSizes(b, source, p.renditions!);
      else checkFrame(b, "the output", scaledSize(source, p.width, p.height));
    });
    ctx.progress(0.05);
    const seconds = video.info?.duration ?? 0;
    const base = { inputs: { "in.mp4": input }, seconds, probe: video.info ? [] : ["in.mp4"] };
    const loaded = loadedOf([video]);
    if (p.format === "cmaf") {
      // Sizes need the source frame; a native probe of a non-MP4 input gives it to ffmpeg, not to us.
      const sizes = source ? renditionSizes(budgetOf(ctx, runtime), source, p.renditions!) : null;
      const run = await execute(
        ctx,
        runtime,
        { ...base, ...ladderJob(p, name, sizes, video.info?.audio !== null) },
        loaded,
      );
      return ladderResult(ctx, run, p, name, sizes, seconds);
    }
    const rate = p.video_bitrate
      ? ["-b:v", p.video_bitrate, "-maxrate", p.video_bitrate, "-bufsize", p.video_bitrate]
      : ["-crf", "23"];
    const codec = [...h264(rate), ...scaleFilter(p), "-c:a", "aac", "-b:a", p.audio_bitrate];
    if (p.format === "mp4") {
      const file = `${name}.mp4`;
      const args = ["-i", "in.mp4", ...codec, ...MP4, "out.mp4"];
      const run = await execute(
        ctx,
        runtime,
        { ...base, args, outputs: [exactly("out.mp4", "video/mp4", file)] },
        loaded,
      );
      return finish(ctx, run, stored(run, file));
    }
    const outputs = [
      // Segments first, so the playlist never names a file that is not there yet.
      { match: `${escapeRegex(name)}_\\d+\\.ts`, contentType: "video/mp2t" },
      exactly(`${name}.m3u8`, "application/vnd.apple.mpegurl"),
    ];
    const run = await execute(ctx, runtime, { ...base, args: hlsArgs(p, name, codec), outputs }, loaded);
    const playlist = stored(run, `${name}.m3u8`);
    const segments = run.files.filter((f) => f !== playlist).map((f) => ctx.outputUrl(f));
    const done = await finish(ctx, run, playlist, { segments, duration: video.info?.duration ?? null });
    return { ...done, result: { ...done.result, playlist_url: done.result.output.url } };
  },
};
