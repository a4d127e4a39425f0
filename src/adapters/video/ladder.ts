import { StepError } from "../../lib/failures";
import type { AdapterContext } from "../types";
import type { Rendition, VideoTranscodeParams } from "../video-transcode.params";
import { finish, frameLimit, h264, type LoadedVideo, MAX_FRAME_PIXELS, run, scaledSize } from "./common";

/**
 * Each rendition's frame, from the input's aspect. All of them are encoded in one ffmpeg run, so
 * their frames add up against the one-frame budget: x264's heap grows with the pixels it encodes
 * (measured: 55 MB for 960×540 alone, 79 MB with 640×360 and 426×240 beside it).
 */
export function renditionSizes(input: { width: number; height: number }, renditions: Rendition[]) {
  const sizes = renditions.map((r) => scaledSize(input, undefined, r.height));
  if (sizes.reduce((n, s) => n + s.width * s.height, 0) > MAX_FRAME_PIXELS)
    throw new StepError({
      kind: "renditions_too_large",
      sizes: sizes.map((s) => `${s.width}×${s.height}`).join(", "),
      limit: frameLimit,
    });
  return sizes;
}

/** ffmpeg's DASH muxer writes the MPD, the HLS master and media playlists, and the fMP4 segments they share. */
export function ladderArgs(
  p: VideoTranscodeParams,
  name: string,
  sizes: { width: number; height: number }[],
  audio: boolean,
) {
  const renditions = p.renditions!;
  const perStream = renditions.flatMap((r, i) => [
    `-filter:v:${i}`,
    `scale=${sizes[i]!.width}:${sizes[i]!.height}`,
    `-b:v:${i}`,
    r.video_bitrate,
    `-maxrate:v:${i}`,
    r.video_bitrate,
    `-bufsize:v:${i}`,
    r.video_bitrate.replace(/^(\d+)/, (n) => String(Number(n) * 2)),
  ]);
  return [
    "-i",
    "in.mp4",
    ...renditions.flatMap(() => ["-map", "0:v:0"]),
    ...(audio ? ["-map", "0:a:0", "-c:a", "aac", "-b:a", p.audio_bitrate] : []),
    ...h264([]),
    ...perStream,
    // A keyframe at every segment boundary in every rendition, so players can switch between them there.
    "-force_key_frames",
    `expr:gte(t,n_forced*${p.segment_seconds})`,
    "-sc_threshold",
    "0",
    "-f",
    "dash",
    "-seg_duration",
    String(p.segment_seconds),
    "-use_template",
    "1",
    "-use_timeline",
    "0",
    "-hls_playlist",
    "1",
    "-hls_master_name",
    `${name}.m3u8`,
    "-adaptation_sets",
    audio ? "id=0,streams=v id=1,streams=a" : "id=0,streams=v",
    "-init_seg_name",
    `${name}_init_$RepresentationID$.m4s`,
    "-media_seg_name",
    `${name}_$RepresentationID$_$Number%05d$.m4s`,
    `${name}.mpd`,
  ];
}

/** The ladder: segments first, then the media playlists, the MPD and the master playlist, so no list names a missing file. */
export async function transcodeLadder(ctx: AdapterContext, video: LoadedVideo, p: VideoTranscodeParams, name: string) {
  const sizes = renditionSizes(video.info.video!, p.renditions!);
  const out = await run({ "in.mp4": video.data }, ladderArgs(p, name, sizes, video.info.audio !== null), ctx);
  const files = out.list(".");
  const segments = files.filter((f) => f.startsWith(`${name}_`) && f.endsWith(".m4s")).sort();
  for (const seg of segments) await ctx.write(seg, out.read(seg), "video/iso.segment");
  const playlists = new Map<string, string>();
  for (const list of files.filter((f) => /^media_\d+\.m3u8$/.test(f)).sort())
    playlists.set(list, ctx.outputUrl(await ctx.write(list, out.read(list), "application/vnd.apple.mpegurl")));
  const mpd = await ctx.write(`${name}.mpd`, out.read(`${name}.mpd`), "application/dash+xml");
  const done = await finish(ctx, out, `${name}.m3u8`, out.read(`${name}.m3u8`), "application/vnd.apple.mpegurl", {
    duration: video.info.duration,
    manifest_url: ctx.outputUrl(mpd),
    segments: segments.length,
    renditions: p.renditions!.map((r, i) => ({
      ...sizes[i],
      video_bitrate: r.video_bitrate,
      playlist_url: playlists.get(`media_${i}.m3u8`) ?? null,
    })),
  });
  return { ...done, result: { ...done.result, playlist_url: done.result.output.url } };
}
