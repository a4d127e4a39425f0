import { describe, expect, it } from "vitest";
import { video } from "../../../test/support/video";
import { looksLikeMp4, MAX_INDEX_BYTES, type Mp4Index, readMp4Index } from "./mp4-index";

/** Presentation times (seconds) of the sync samples: where the file may be cut. */
const keyframes = (index: Mp4Index) =>
  index.cut!.samples.filter((s) => s.sync).map((s) => s.cts / index.cut!.timescale);

/** Ranged reads over bytes in memory, counting what was read. */
function reader(bytes: Uint8Array) {
  const reads: [number, number][] = [];
  return {
    reads,
    read: async (offset: number, length: number) => {
      reads.push([offset, length]);
      return bytes.slice(offset, offset + length);
    },
  };
}

describe("readMp4Index", () => {
  it("reads duration, streams and keyframes with the index at the end, skipping the media data", async () => {
    const bytes = await video({ w: 640, h: 360, d: 6, fps: 25, gop: 50, moovAtEnd: true });
    const r = reader(bytes);
    const result = await readMp4Index(bytes.byteLength, r.read);
    if (!result.ok) throw new Error(result.reason);
    expect(result.index.video).toEqual({ codec: expect.stringMatching(/^avc1/), width: 640, height: 360, fps: 25 });
    expect(result.index.audio?.codec).toMatch(/^mp4a/);
    expect(result.index.duration).toBeCloseTo(6, 1);
    expect(keyframes(result.index)).toEqual([0, 2, 4]);
    // The bytes read are the index's, not the file's: the mdat between was skipped.
    const read = r.reads.reduce((n, [, l]) => n + l, 0);
    expect(bytes.byteLength).toBeGreaterThan(150_000);
    expect(read).toBeLessThan(bytes.byteLength / 2);
  });

  it("reads the same index at the start (faststart)", async () => {
    const bytes = await video({ w: 320, h: 240, d: 3, fps: 25, audio: false });
    const result = await readMp4Index(bytes.byteLength, reader(bytes).read);
    if (!result.ok) throw new Error(result.reason);
    expect(result.index.audio).toBeNull();
    expect(keyframes(result.index)).toEqual([0, 1, 2]);
  });

  it("says why a file cannot be indexed: cut short before its index, or not an MP4", async () => {
    const bytes = await video({ w: 320, h: 240, d: 2, moovAtEnd: true });
    const cut = bytes.slice(0, bytes.byteLength - 2000);
    const truncated = await readMp4Index(cut.byteLength, reader(cut).read);
    expect(truncated).toEqual({ ok: false, reason: expect.stringMatching(/no MP4 index|cannot be read/) });

    const text = new TextEncoder().encode("this is not a video at all, just some text ".repeat(100));
    expect(looksLikeMp4(text)).toBe(false);
    expect(looksLikeMp4(bytes)).toBe(true);
    expect((await readMp4Index(text.byteLength, reader(text).read)).ok).toBe(false);
  });

  it("gives up after MAX_INDEX_BYTES instead of reading a huge file to its end", async () => {
    // 64 MB of 1 MB `free` boxes and no index: mp4box wants every box header, one after another.
    const BOX = 1024 * 1024;
    const size = 64 * BOX;
    let spent = 0;
    const read = async (offset: number, length: number) => {
      spent += length;
      const chunk = new Uint8Array(length);
      for (let at = Math.ceil(offset / BOX) * BOX; at < offset + length - 8; at += BOX)
        chunk.set([0, 0x10, 0, 0, 0x66, 0x72, 0x65, 0x65], at - offset);
      return chunk;
    };
    const result = await readMp4Index(size, read);
    expect(result).toEqual({ ok: false, reason: `no index within the first ${MAX_INDEX_BYTES} bytes read` });
    expect(spent).toBeLessThanOrEqual(MAX_INDEX_BYTES + BOX);
  });
});
