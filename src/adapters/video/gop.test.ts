import { describe, expect, it } from "vitest";
import { gopAt } from "./gop";

// 12 samples at 1 s each (timescale 1), keyframes at 0, 4 and 8; B-frame-like cts offsets of 1;
// 50 bytes of something else (audio) between the first and the second GOP.
const samples = Array.from({ length: 12 }, (_, n) => ({
  offset: 1000 + n * 100 + (n >= 4 ? 50 : 0),
  size: 100,
  dts: n,
  cts: n + 1,
  duration: 1,
  sync: n % 4 === 0,
}));
const cut = { timescale: 1, avcC: new ArrayBuffer(0), samples };

describe("gopAt", () => {
  it("takes the GOP whose keyframe is the last at or before the time, up to the next keyframe", () => {
    expect(gopAt(cut, 0)).toMatchObject({ from: 0, to: 4, start: 1 });
    expect(gopAt(cut, 4.9)).toMatchObject({ from: 0, to: 4 });
    expect(gopAt(cut, 5)).toMatchObject({ from: 4, to: 8, start: 5 });
    expect(gopAt(cut, 100)).toMatchObject({ from: 8, to: 12, start: 9 });
  });

  it("spans the GOP's bytes, including what lies between its samples", () => {
    expect(gopAt(cut, 5)).toMatchObject({ offset: 1450, length: 400 });
    expect(gopAt(cut, 0)).toMatchObject({ offset: 1000, length: 400 });
  });
});
