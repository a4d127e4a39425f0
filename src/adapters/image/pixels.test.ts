import { describe, expect, it } from "vitest";
import { blank, drawOver, parseColor, type Pixels } from "./pixels";

const px = (img: Pixels, x: number, y: number) => [
  ...img.data.slice((y * img.width + x) * 4, (y * img.width + x) * 4 + 4),
];
const one = (r: number, g: number, b: number, a: number): Pixels => ({
  width: 1,
  height: 1,
  data: new Uint8ClampedArray([r, g, b, a]),
});

describe("parseColor", () => {
  it("reads #rgb, #rrggbb, #rrggbbaa and transparent", () => {
    expect(parseColor("#f00")).toEqual({ r: 255, g: 0, b: 0, a: 255 });
    expect(parseColor("#336699")).toEqual({ r: 0x33, g: 0x66, b: 0x99, a: 255 });
    expect(parseColor("#33669980")).toEqual({ r: 0x33, g: 0x66, b: 0x99, a: 0x80 });
    expect(parseColor("transparent").a).toBe(0);
  });
});

describe("drawOver (source-over, straight alpha)", () => {
  it("fills a canvas with the background", () => {
    expect(px(blank(2, 2, parseColor("#102030")), 1, 1)).toEqual([16, 32, 48, 255]);
  });

  it("keeps a translucent source's own colour over a transparent canvas: no dark fringe", () => {
    const dst = blank(1, 1, parseColor("transparent"));
    drawOver(dst, one(255, 0, 0, 64), 0, 0);
    expect(px(dst, 0, 0)).toEqual([255, 0, 0, 64]);
  });

  it("mixes by alpha and opacity over an opaque canvas", () => {
    const dst = blank(1, 1, parseColor("#ffffff"));
    drawOver(dst, one(0, 255, 0, 255), 0, 0, 0.5);
    const [r, g, b, a] = px(dst, 0, 0);
    expect([Math.abs(r! - 128) <= 1, g, Math.abs(b! - 128) <= 1, a]).toEqual([true, 255, true, 255]);
  });

  it("combines two translucent layers into the right alpha", () => {
    const dst = blank(1, 1, parseColor("#0000ff80"));
    drawOver(dst, one(255, 0, 0, 128), 0, 0);
    const [r, , b, a] = px(dst, 0, 0);
    // out_a = .502 + .502·.498 ≈ .75; red weight .502/.75 ≈ .67
    expect(Math.abs(a! - 192)).toBeLessThanOrEqual(1);
    expect(Math.abs(r! - 171)).toBeLessThanOrEqual(2);
    expect(Math.abs(b! - 84)).toBeLessThanOrEqual(2);
  });

  it("un-premultiplies premultiplied sources", () => {
    const dst = blank(1, 1, parseColor("transparent"));
    drawOver(dst, one(128, 0, 0, 128), 0, 0, 1, true);
    expect(px(dst, 0, 0)).toEqual([255, 0, 0, 128]);
  });

  it("clips layers partly or wholly off the canvas", () => {
    const dst = blank(2, 2, parseColor("#000000"));
    const src = { width: 2, height: 2, data: new Uint8ClampedArray(16).fill(255) };
    drawOver(dst, src, 1, -1);
    expect(px(dst, 1, 0)).toEqual([255, 255, 255, 255]);
    expect(px(dst, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(px(dst, 1, 1)).toEqual([0, 0, 0, 255]);
    drawOver(dst, src, 5, 5); // nothing to draw, no throw
  });
});
