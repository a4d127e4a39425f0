import { describe, expect, it } from "vitest";
import { gopRange, gopSpan } from "./gop";

// 12 samples at 1 s each (timescale 1), keyframes at 0, 4 and 8; B-frame-like cts offsets of 1.
const samples = Array.from({ length: 12 }, (_, n) => ({
  offset: 1000 + n * 100 + (n >= 4 ? 50 : 0),
  size: 100,
  dts: n,
  cts: n + 1,
  duration: 1,
  sync: n % 4 === 0,
}));
const cut = { timescale: 1, avcC: new ArrayBuffer(0), samples };

describe("gopRange / gopSpan", () => {
  it("takes the GOP whose keyframe is the last at or before the time, up to the next keyframe", () => {
    expect(gopRange(cut, 0)).toEqual({ from: 0, to: 4 });
    expect(gopRange(cut, 4.9)).toEqual({ from: 0, to: 4 });
    expect(gopRange(cut, 5)).toEqual({ from: 4, to: 8 });
    expect(gopRange(cut, 100)).toEqual({ from: 8, to: 12 });
  });

  it("spans the GOP's bytes, including what lies between its samples", () => {
    expect(gopSpan(cut, { from: 4, to: 8 })).toEqual({ start: 1450, length: 400 });
    expect(gopSpan(cut, { from: 0, to: 4 })).toEqual({ start: 1000, length: 400 });
  });
});
