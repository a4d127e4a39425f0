/** Text layers: a real font engine (resvg) rendering an SVG <text> with the bundled Inter font (SIL OFL). */
import interBold from "@expo-google-fonts/inter/700Bold/Inter_700Bold.ttf";
import interRegular from "@expo-google-fonts/inter/400Regular/Inter_400Regular.ttf";
import { Resvg } from "@resvg/resvg-wasm";
import type { TextLayer } from "../image-compositor.params";
import { initCodecs } from "./codecs";
import { parseColor, type Pixels } from "./pixels";

const fontBuffers = [new Uint8Array(interRegular), new Uint8Array(interBold)];
const renderOptions = { font: { fontBuffers, loadSystemFonts: false, defaultFontFamily: "Inter" } };

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function textElement(layer: TextLayer, line: string, x: number, baseline: number, anchor: string): string {
  const c = parseColor(layer.color);
  const weight = layer.font === "Inter Bold" ? 700 : 400;
  return (
    `<text x="${x}" y="${baseline}" font-family="Inter" font-weight="${weight}" font-size="${layer.size}" ` +
    `text-anchor="${anchor}" fill="rgb(${c.r},${c.g},${c.b})" fill-opacity="${(c.a / 255).toFixed(3)}" xml:space="preserve">${escapeXml(line)}</text>`
  );
}

/** The advance width of one line, measured by resvg itself. */
function measure(layer: TextLayer, line: string): number {
  if (!line) return 0;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${textElement(layer, line, 0, layer.size, "start")}</svg>`;
  const r = new Resvg(svg, renderOptions);
  try {
    const box = r.getBBox();
    const right = box ? box.x + box.width : 0;
    box?.free();
    return right;
  } finally {
    r.free();
  }
}

/** Greedy word wrap at `maxWidth`; explicit newlines always break; a single over-long word keeps its own line. */
export function wrap(
  layer: TextLayer,
  text: string,
  maxWidth: number | undefined,
  measureLine = (l: string) => measure(layer, l),
): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    if (maxWidth === undefined) {
      lines.push(paragraph);
      continue;
    }
    let current = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const candidate = current ? `${current} ${word}` : word;
      if (current && measureLine(candidate) > maxWidth) {
        lines.push(current);
        current = word;
      } else current = candidate;
    }
    lines.push(current);
  }
  return lines;
}

/** Renders a text layer's box; its pixels are premultiplied RGBA, placed at the layer's x, y. */
export async function renderText(
  layer: TextLayer,
  text: string,
  checkBox: (width: number, height: number) => void = () => {},
): Promise<Pixels> {
  await initCodecs();
  const lines = wrap(layer, text, layer.width);
  const boxWidth = layer.width ?? Math.max(1, ...lines.map((l) => Math.ceil(measure(layer, l)) + 2));
  const lineBox = layer.size * layer.line_height;
  const boxHeight = Math.ceil(lineBox * lines.length + layer.size * 0.25);
  checkBox(boxWidth, boxHeight);
  const anchor = layer.align === "center" ? "middle" : layer.align === "right" ? "end" : "start";
  const x = layer.align === "center" ? boxWidth / 2 : layer.align === "right" ? boxWidth : 0;
  // Baseline: the line box's leading split above and below, then Inter's ascent (~0.97 em) from the top.
  const baseline = (i: number) => (i * lineBox + (lineBox - layer.size) / 2 + layer.size * 0.93).toFixed(2);
  const body = lines.map((l, i) => textElement(layer, l, x, Number(baseline(i)), anchor)).join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${boxWidth}" height="${boxHeight}">${body}</svg>`;
  const r = new Resvg(svg, renderOptions);
  try {
    const img = r.render();
    const out = { width: img.width, height: img.height, data: new Uint8ClampedArray(img.pixels) };
    img.free();
    return out;
  } finally {
    r.free();
  }
}
