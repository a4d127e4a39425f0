import { describe, expect, it } from "vitest";
import { PART_BYTES, PartBuffer } from "./r2-writer";

/** Byte-for-byte equality (expect's deep equality walks megabytes slowly). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function bytes(from: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (from + i) & 255;
  return out;
}

describe("PartBuffer", () => {
  it("holds about what a small body needs, keeping every byte in order as it grows", () => {
    const part = new PartBuffer();
    const body = bytes(3, 300_000);
    for (let off = 0; off < body.length; ) off += part.take(body.subarray(off, off + 10_000), 0);
    expect(part.fill).toBe(300_000);
    expect(part.full).toBe(false);
    expect(same(part.bytes(), body)).toBe(true);
    // Grown by doubling from 64 KiB: the backing store is 512 KiB, not PART_BYTES.
    expect(part.bytes().buffer.byteLength).toBe(512 * 1024);
  });

  it("fills to exactly PART_BYTES, takes no more, and is refilled from the start after clear()", () => {
    const part = new PartBuffer();
    const chunk = bytes(0, PART_BYTES + 123);
    const taken = [];
    for (let off = 0; !part.full; ) {
      const n = part.take(chunk, off);
      taken.push(n);
      off += n;
    }
    expect(taken.reduce((a, b) => a + b, 0)).toBe(PART_BYTES);
    expect(same(part.bytes(), chunk.subarray(0, PART_BYTES))).toBe(true);
    const store = part.bytes().buffer;
    part.clear();
    expect(part.take(chunk, PART_BYTES)).toBe(123);
    expect(same(part.bytes(), chunk.subarray(PART_BYTES))).toBe(true);
    expect(part.bytes().buffer).toBe(store);
  });
});
