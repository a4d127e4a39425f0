/** Straight-alpha RGBA pixel work: the compositing rules in one small, testable place. */

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export function parseColor(value: string): Rgba {
  if (value === "transparent") return { r: 0, g: 0, b: 0, a: 0 };
  let hex = value.slice(1);
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join("");
  const n = (i: number) => parseInt(hex.slice(i, i + 2), 16);
  return { r: n(0), g: n(2), b: n(4), a: hex.length === 8 ? n(6) : 255 };
}

export function blank(width: number, height: number, fill: Rgba): Pixels {
  const data = new Uint8ClampedArray(width * height * 4);
  if (fill.a !== 0) {
    const word = new Uint32Array(data.buffer);
    // Little-endian: RGBA bytes in memory are ABGR in the word.
    word.fill(((fill.a << 24) | (fill.b << 16) | (fill.g << 8) | fill.r) >>> 0);
  }
  return { width, height, data };
}

/**
 * Draws `src` onto `dst` at (x, y) with source-over on straight alpha:
 * out_a = s_a + d_a(1 - s_a), out_c = (s_c·s_a + d_c·d_a(1 - s_a)) / out_a.
 * `premultipliedSrc` takes sources whose colours are already multiplied by alpha (resvg's output).
 */
export function drawOver(dst: Pixels, src: Pixels, x: number, y: number, opacity = 1, premultipliedSrc = false): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(dst.width, x + src.width);
  const y1 = Math.min(dst.height, y + src.height);
  if (x0 >= x1 || y0 >= y1 || opacity <= 0) return;
  const d = dst.data;
  const s = src.data;
  const op = Math.round(opacity * 255);
  for (let row = y0; row < y1; row++) {
    let di = (row * dst.width + x0) * 4;
    let si = ((row - y) * src.width + (x0 - x)) * 4;
    for (let col = x0; col < x1; col++, di += 4, si += 4) {
      const sa255 = (s[si + 3]! * op) / 255;
      if (sa255 === 0) continue;
      const sa = sa255 / 255;
      const unpremul = premultipliedSrc && s[si + 3]! > 0 ? 255 / s[si + 3]! : 1;
      const sr = s[si]! * unpremul;
      const sg = s[si + 1]! * unpremul;
      const sb = s[si + 2]! * unpremul;
      const da = d[di + 3]! / 255;
      if (sa >= 1 || da === 0) {
        d[di] = sr;
        d[di + 1] = sg;
        d[di + 2] = sb;
        d[di + 3] = sa255;
        continue;
      }
      const keep = da * (1 - sa);
      const outA = sa + keep;
      d[di] = (sr * sa + d[di]! * keep) / outA;
      d[di + 1] = (sg * sa + d[di + 1]! * keep) / outA;
      d[di + 2] = (sb * sa + d[di + 2]! * keep) / outA;
      d[di + 3] = outA * 255;
    }
  }
}
