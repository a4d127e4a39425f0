import { describe, expect, it } from "vitest";
import { imageCompositorParams, type TextLayer } from "../image-compositor.params";
import { renderText, wrap } from "./text";

const layer = (extra: Record<string, unknown> = {}): TextLayer =>
  imageCompositorParams.parse({ layers: [{ type: "text", text: "x", ...extra }] }).layers[0] as TextLayer;

describe("wrap", () => {
  it("breaks greedily at the width, keeps newlines, and never splits a word", () => {
    const width = (s: string) => s.length * 10;
    expect(wrap(layer(), "aa bb cc dd", 50, width)).toEqual(["aa bb", "cc dd"]);
    expect(wrap(layer(), "one\ntwo three", 1000, width)).toEqual(["one", "two three"]);
    expect(wrap(layer(), "unbreakable", 30, width)).toEqual(["unbreakable"]);
    expect(wrap(layer(), "no width given", undefined, width)).toEqual(["no width given"]);
  });
});

describe("renderText (resvg + Inter)", () => {
  it("draws glyphs inside the box and wraps long text onto more lines", async () => {
    const short = await renderText(layer({ size: 20 }), "Hi");
    const wrapped = await renderText(layer({ size: 20, width: 120 }), "Hello there general Kenobi");
    expect(short.height).toBeLessThan(wrapped.height);
    expect(wrapped.width).toBe(120);
    const inked = (img: typeof short) => img.data.filter((_, i) => i % 4 === 3 && img.data[i]! > 128).length;
    expect(inked(short)).toBeGreaterThan(20);
    expect(inked(wrapped)).toBeGreaterThan(inked(short));
  });

  it("right-aligned text sits at the right of its box", async () => {
    const img = await renderText(layer({ size: 20, width: 200, align: "right" }), "ab");
    let minX = img.width;
    for (let y = 0; y < img.height; y++)
      for (let x = 0; x < img.width; x++) if (img.data[(y * img.width + x) * 4 + 3]! > 0) minX = Math.min(minX, x);
    expect(minX).toBeGreaterThan(150);
  });
});
