/**
 * Cutting an MP4 at keyframes: the group of pictures holding a moment, read with one ranged read and
 * written as a standalone video-only MP4 (mp4box), so ffmpeg gets a few seconds of a file of any length.
 */
import { createFile } from "mp4box";
import type { Mp4Index } from "./mp4-index";

export interface Gop {
  /** A standalone MP4 of the GOP's video samples, its first sample at time 0. */
  bytes: Uint8Array;
  /** Where the GOP starts in the source, in seconds (its keyframe's presentation time). */
  start: number;
  /** How many bytes of the source were read. */
  read: number;
}

/** The samples (decode order) of the GOP whose keyframe is the last at or before `time`. */
export function gopRange(cut: NonNullable<Mp4Index["cut"]>, time: number): { from: number; to: number } {
  const { samples, timescale } = cut;
  let from = samples.findIndex((s) => s.sync);
  for (let i = from; i < samples.length; i++) if (samples[i]!.sync && samples[i]!.cts <= time * timescale) from = i;
  let to = from + 1;
  while (to < samples.length && !samples[to]!.sync) to++;
  return { from, to };
}

/** The byte span a GOP's samples cover in the source (audio interleaved between them included). */
export function gopSpan(cut: NonNullable<Mp4Index["cut"]>, range: { from: number; to: number }) {
  const picked = cut.samples.slice(range.from, range.to);
  const start = Math.min(...picked.map((s) => s.offset));
  const end = Math.max(...picked.map((s) => s.offset + s.size));
  return { start, length: end - start };
}

export async function gopAt(
  index: Mp4Index & { cut: NonNullable<Mp4Index["cut"]>; video: NonNullable<Mp4Index["video"]> },
  time: number,
  read: (offset: number, length: number) => Promise<Uint8Array>,
): Promise<Gop> {
  const { cut } = index;
  const range = gopRange(cut, time);
  const span = gopSpan(cut, range);
  const bytes = await read(span.start, span.length);
  const out = createFile();
  const track = out.addTrack({
    type: "avc1",
    timescale: cut.timescale,
    width: index.video.width,
    height: index.video.height,
    avcDecoderConfigRecord: cut.avcC,
    hdlr: "vide",
    name: "video",
  });
  const first = cut.samples[range.from]!;
  for (const s of cut.samples.slice(range.from, range.to)) {
    const at = s.offset - span.start;
    out.addSample(track, bytes.slice(at, at + s.size), {
      duration: s.duration,
      dts: s.dts - first.dts,
      cts: s.cts - first.dts,
      is_sync: s.sync,
    });
  }
  const stream = out.getBuffer();
  return {
    bytes: new Uint8Array(stream.buffer),
    start: first.cts / cut.timescale,
    read: span.length,
  };
}
