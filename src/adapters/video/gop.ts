/**
 * Cutting an MP4 at keyframes: the group of pictures holding a moment, read with one ranged read and
 * written as a standalone video-only MP4 (mp4box), so ffmpeg gets a few seconds of a file of any length.
 */
import { createFile } from "mp4box";
import type { Mp4Index } from "./mp4-index";

type Cut = NonNullable<Mp4Index["cut"]>;

/** A GOP: its samples (decode order, `from` to `to`), the byte span they cover, and its start in seconds. */
export interface Gop {
  from: number;
  to: number;
  /** The span in the source, audio interleaved between the samples included. */
  offset: number;
  length: number;
  /** Its keyframe's presentation time. */
  start: number;
}

/** The GOP whose keyframe is the last at or before `time` (the first one for an earlier time). */
export function gopAt(cut: Cut, time: number): Gop {
  const { samples, timescale } = cut;
  let from = samples.findIndex((s) => s.sync);
  for (let i = from; i < samples.length; i++) if (samples[i]!.sync && samples[i]!.cts <= time * timescale) from = i;
  let to = from + 1;
  while (to < samples.length && !samples[to]!.sync) to++;
  const picked = samples.slice(from, to);
  const offset = Math.min(...picked.map((s) => s.offset));
  const end = Math.max(...picked.map((s) => s.offset + s.size));
  return { from, to, offset, length: end - offset, start: samples[from]!.cts / timescale };
}

/** The GOP as a standalone MP4, its first sample at time 0, from one read of its span. */
export async function cutGop(
  cut: Cut,
  frame: { width: number; height: number },
  gop: Gop,
  read: (offset: number, length: number) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const bytes = await read(gop.offset, gop.length);
  const out = createFile();
  const track = out.addTrack({
    type: "avc1",
    timescale: cut.timescale,
    width: frame.width,
    height: frame.height,
    avcDecoderConfigRecord: cut.avcC,
    hdlr: "vide",
    name: "video",
  });
  const first = cut.samples[gop.from]!;
  for (const s of cut.samples.slice(gop.from, gop.to)) {
    const at = s.offset - gop.offset;
    out.addSample(track, bytes.slice(at, at + s.size), {
      duration: s.duration,
      dts: s.dts - first.dts,
      cts: s.cts - first.dts,
      is_sync: s.sync,
    });
  }
  return new Uint8Array(out.getBuffer().buffer);
}
