import { StepError } from "../../lib/failures";
import type { AdapterContext } from "../types";
import type { Rendition, VideoTranscodeParams } from "../video-transcode.params";
import type { Budget } from "./budget";
import { finish, h264, scaledSize, stored } from "./common";
import { escapeRegex, exactly, type JobRun } from "./job-spec";

type Size = { width: number; height: number };

/**
 * Each rendition's frame, from the input's aspect. All of them are encoded in one ffmpeg run, so
 * their frames add up against the runtime's one-frame budget: x264's heap grows with the pixels it
 * encodes (measured on WASM: 55 MB for 960×540 alone, 79 MB with 640×360 and 426×240 beside it).
 */
export function renditionSizes(b: Budget, input: Size, renditions: Rendition[]): Size[] {
  const sizes = renditions.map((r) => scaledSize(input, undefined, r.height));
  if (sizes.reduce((n, s) => n + s.width * s.height, 0) > b.maxPixels)
    throw new StepError({
      kind: "renditions_too_large",
      sizes: sizes.map((s) => `${s.width}×${s.height}`).join(", "),
      limit: b.frameLimit,
      runtime: b.runtime,
    });
  return sizes;
}

/**
 * ffmpeg's DASH muxer writes the MPD, the HLS master and media playlists, and the fMP4 segments they
 * share. `sizes` null: the input's frame is not known here (the native server probed it), and
 * ffmpeg keeps the aspect itself (`scale=-2:H`).
 */
export function ladderArgs(p: VideoTranscodeParams, name: string, sizes: Size[] | null, audio: boolean) {
  const renditions = p.renditions!;
  const perStream = renditions.flatMap((r, i) => [
    `-filter:v:${i}`,
    sizes ? `scale=${sizes[i]!.width}:${sizes[i]!.height}` : `scale=-2:${r.height}`,
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

/** The ladder's arguments and outputs: segments first, then the media playlists, the MPD and the master playlist, so no list names a missing file. */
export function ladderJob(p: VideoTranscodeParams, name: string, sizes: Size[] | null, audio: boolean) {
  return {
    args: ladderArgs(p, name, sizes, audio),
    outputs: [
      { match: `${escapeRegex(name)}_.*\\.m4s`, contentType: "video/iso.segment" },
      { match: "media_\\d+\\.m3u8", contentType: "application/vnd.apple.mpegurl" },
      exactly(`${name}.mpd`, "application/dash+xml"),
      exactly(`${name}.m3u8`, "application/vnd.apple.mpegurl"),
    ],
  };
}

export async function ladderResult(
  ctx: AdapterContext,
  run: JobRun,
  p: VideoTranscodeParams,
  name: string,
  sizes: Size[] | null,
  duration: number,
) {
  const url = (fileName: string) => {
    const file = run.files.find((f) => f.file_name === fileName);
    return file ? ctx.outputUrl(file) : null;
  };
  const done = await finish(ctx, run, stored(run, `${name}.m3u8`), {
    duration,
    manifest_url: ctx.outputUrl(stored(run, `${name}.mpd`)),
    segments: run.files.filter((f) => f.file_name.endsWith(".m4s")).length,
    renditions: p.renditions!.map((r, i) => ({
      width: sizes?.[i]?.width ?? null,
      height: r.height,
      video_bitrate: r.video_bitrate,
      playlist_url: url(`media_${i}.m3u8`),
    })),
  });
  return { ...done, result: { ...done.result, playlist_url: done.result.output.url } };
}
