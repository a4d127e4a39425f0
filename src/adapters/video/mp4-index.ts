/**
 * An MP4/MOV's index (the `moov` box) read with ranged reads, without the media data: what the file
 * holds, how long it is, and (for H.264) where its samples and keyframes are. mp4box asks for the byte ranges it needs; with
 * the index at the end it skips the `mdat` between, so a 40 MB file costs a few small reads.
 */
import { createFile, DataStream, type MP4BoxBuffer } from "mp4box";

export interface Mp4Index {
  /** Seconds, from the movie header. */
  duration: number;
  video: { codec: string; width: number; height: number; fps: number | null } | null;
  audio: { codec: string } | null;
  /** What cutting needs: the H.264 video's samples in decode order and its decoder configuration. */
  cut: { timescale: number; avcC: ArrayBuffer; samples: VideoSample[] } | null;
}

/** One video sample: where its bytes are, and its times in the track's timescale. */
export interface VideoSample {
  offset: number;
  size: number;
  dts: number;
  cts: number;
  duration: number;
  sync: boolean;
}

/** The most bytes read looking for the index: an index is small; anything needing more is not indexed sensibly. */
export const MAX_INDEX_BYTES = 16 * 1024 * 1024;
/** Reads start small (a header, an mdat's size) and double, up to 1 MB, while an index keeps going. */
const FIRST_READ = 64 * 1024;
const MAX_READ = 1024 * 1024;

/** `ftyp` (or an early `moov`/`mdat`/`free`/`wide`) at byte 4: an ISO BMFF file, which mp4box can index. */
export function looksLikeMp4(head: Uint8Array): boolean {
  const type = String.fromCharCode(...head.subarray(4, 8));
  return ["ftyp", "moov", "mdat", "free", "wide", "skip"].includes(type);
}

export type IndexResult = { ok: true; index: Mp4Index } | { ok: false; reason: string };

/**
 * Reads the index through `read(offset, length)`. Fails (with a reason a user can act on) when the file
 * has no `moov`, it lies beyond MAX_INDEX_BYTES of reading, or mp4box cannot parse it.
 */
export async function readMp4Index(
  size: number,
  read: (offset: number, length: number) => Promise<Uint8Array>,
): Promise<IndexResult> {
  const file = createFile();
  let ready: Parameters<NonNullable<typeof file.onReady>>[0] | null = null;
  let failure: string | null = null;
  file.onReady = (info) => {
    ready = info;
  };
  file.onError = (_module: string, message: string) => {
    failure = message;
  };
  let offset = 0;
  let spent = 0;
  let reads = 0;
  while (!ready && !failure && offset < size) {
    if (spent >= MAX_INDEX_BYTES)
      return { ok: false, reason: `no index within the first ${MAX_INDEX_BYTES} bytes read` };
    const bytes = await read(offset, Math.min(FIRST_READ * 2 ** reads++, MAX_READ, size - offset));
    if (bytes.byteLength === 0) break;
    spent += bytes.byteLength;
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as MP4BoxBuffer;
    buffer.fileStart = offset;
    try {
      // mp4box answers with the next position it wants: past an mdat it has only seen the header of.
      const next = file.appendBuffer(buffer, offset + bytes.byteLength >= size);
      offset = next > offset ? next : offset + bytes.byteLength;
    } catch (err) {
      failure = String((err as Error)?.message ?? err);
    }
  }
  if (failure) return { ok: false, reason: `the MP4 index cannot be read (${failure})` };
  const info = ready as Parameters<NonNullable<typeof file.onReady>>[0] | null;
  if (!info) return { ok: false, reason: "the file has no MP4 index (moov box)" };
  const v = info.videoTracks[0];
  const a = info.audioTracks[0];
  const samples = v ? file.getTrackSamplesInfo(v.id) : [];
  const avcC = samples[0] ? avcConfig(samples[0].description) : null;
  const seconds = info.timescale ? info.duration / info.timescale : 0;
  return {
    ok: true,
    index: {
      duration: seconds,
      video: v
        ? {
            codec: v.codec,
            width: v.video?.width ?? v.track_width,
            height: v.video?.height ?? v.track_height,
            fps: v.duration && v.nb_samples ? Math.round((v.nb_samples * v.timescale * 100) / v.duration) / 100 : null,
          }
        : null,
      audio: a ? { codec: a.codec } : null,
      cut:
        v && avcC
          ? {
              timescale: v.timescale,
              avcC,
              samples: samples.map((s) => ({
                offset: s.offset,
                size: s.size,
                dts: s.dts,
                cts: s.cts,
                duration: s.duration,
                sync: s.is_sync,
              })),
            }
          : null,
    },
  };
}

/** An avc1/avc3 sample entry's decoder configuration (the avcC box's payload); null for other codecs. */
function avcConfig(entry: unknown): ArrayBuffer | null {
  const box = (entry as { avcC?: { write(stream: DataStream): void } } | undefined)?.avcC;
  if (!box) return null;
  const stream = new DataStream();
  box.write(stream);
  // The payload, without the box's 8-byte header.
  return stream.buffer.slice(8);
}
