import type { Adapter } from "./types";
import { videoTranscodeParams, type VideoTranscodeParams } from "./video-transcode.params";
import { checkFrame, finish, h264, loadVideo, MP4, run, scaledSize, stem } from "./video/common";
import { transcodeLadder } from "./video/ladder";

export function scaleFilter(p: Pick<VideoTranscodeParams, "width" | "height">): string[] {
  if (!p.width && !p.height) return [];
  return ["-vf", `scale=${p.width ?? -2}:${p.height ?? -2}`];
}

/** H.264/AAC as MP4, or as an HLS VOD playlist with its segments (all stored beside each other in R2). */
export const videoTranscode: Adapter<VideoTranscodeParams> = {
  name: "video-transcode",
  params: videoTranscodeParams,
  async run(input, p, ctx) {
    const video = await loadVideo(ctx, input, "in.mp4");
    checkFrame("the output", scaledSize(video.info.video!, p.width, p.height));
    ctx.progress(0.05);
    const name = stem(input.file_name);
    if (p.format === "cmaf") return transcodeLadder(ctx, video, p, name);
    const rate = p.video_bitrate
      ? ["-b:v", p.video_bitrate, "-maxrate", p.video_bitrate, "-bufsize", p.video_bitrate]
      : ["-crf", "23"];
    const codec = [...h264(rate), ...scaleFilter(p), "-c:a", "aac", "-b:a", p.audio_bitrate];
    if (p.format === "mp4") {
      const out = await run({ "in.mp4": video.data }, ["-i", "in.mp4", ...codec, ...MP4, "out.mp4"], ctx);
      return finish(ctx, out, `${name}.mp4`, out.read("out.mp4"), "video/mp4");
    }
    const out = await run(
      { "in.mp4": video.data },
      // A keyframe at every segment boundary, so segments have the length asked for and each starts cleanly.
      [
        "-i",
        "in.mp4",
        ...codec,
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
      ],
      ctx,
    );
    // Segments first, so the playlist never names a file that is not there yet.
    const segments = out
      .list(".")
      .filter((f) => f.startsWith(`${name}_`) && f.endsWith(".ts"))
      .sort();
    const urls: string[] = [];
    for (const seg of segments) urls.push(ctx.outputUrl(await ctx.write(seg, out.read(seg), "video/mp2t")));
    const done = await finish(ctx, out, `${name}.m3u8`, out.read(`${name}.m3u8`), "application/vnd.apple.mpegurl", {
      segments: urls,
      duration: video.info.duration,
    });
    return { ...done, result: { ...done.result, playlist_url: done.result.output.url } };
  },
};
