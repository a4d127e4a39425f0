/**
 * Image benchmark: compose 1920×1080 + 2 image layers (one resized, one at 50 % opacity) + 1 text
 * layer, in workerd (our adapter) and with sharp (native libvips) in this process, same inputs.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { FormData, Miniflare } from "miniflare";
import sharp from "sharp";

const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function fixtures() {
  const W = 1920,
    H = 1080;
  // A photo-like background (smooth gradients plus noise), so PNG coding does real work.
  const raw = Buffer.alloc(W * H * 3);
  for (let y = 0, i = 0; y < H; y++)
    for (let x = 0; x < W; x++, i += 3) {
      const n = (x * 7 + y * 13) % 17;
      raw[i] = (x * 255) / W + n;
      raw[i + 1] = (y * 255) / H + n;
      raw[i + 2] = ((x + y) * 127) / (W + H) + n;
    }
  const background = await sharp(raw, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
  const logo = await sharp({
    create: { width: 800, height: 800, channels: 4, background: { r: 230, g: 40, b: 40, alpha: 0.9 } },
  })
    .png()
    .toBuffer();
  const badge = await sharp({
    create: { width: 300, height: 200, channels: 4, background: { r: 20, g: 200, b: 60, alpha: 1 } },
  })
    .png()
    .toBuffer();
  return { background, logo, badge };
}

const TEXT = {
  text: "Voucher code: {{additional_context.voucher_code}}",
  x: 100,
  y: 900,
  size: 64,
  color: "#ffffff",
  width: 1400,
};
const PARAMS = {
  layers: [
    { type: "image", file_name: "logo.png", x: 1500, y: 80, width: 300, height: 300 },
    { type: "image", file_name: "badge.png", x: 100, y: 100, opacity: 0.5 },
    { type: "text", ...TEXT },
  ],
  additional_context: { voucher_code: "CASCADE-2026" },
};

/** The bench Worker with the real adapter, built and started once. */
async function startWorkerd() {
  execFileSync(
    "npx",
    ["wrangler", "deploy", "--dry-run", "-c", "bench/wrangler.toml", "--outdir", resolve(".wrangler/bench-build")],
    { stdio: "ignore" },
  );
  return new Miniflare({
    modules: true,
    scriptPath: resolve(".wrangler/bench-build/image-worker.js"),
    modulesRules: [
      { type: "CompiledWasm", include: ["**/*.wasm"] },
      { type: "Data", include: ["**/*.ttf"] },
    ],
    compatibilityDate: "2026-04-20",
  });
}

/** One composition in workerd: the time inside the Worker, its phases, and the round trip. */
async function workerdRun(mf, f) {
  const form = new FormData();
  form.set("background.png", new Blob([f.background]), "background.png");
  form.set("logo.png", new Blob([f.logo]), "logo.png");
  form.set("badge.png", new Blob([f.badge]), "badge.png");
  form.set("params", JSON.stringify(PARAMS));
  const t = performance.now();
  const res = await mf.dispatchFetch("http://bench/", { method: "POST", body: form });
  const body = await res.text();
  if (!res.ok) throw new Error(`bench worker answered ${res.status}: ${body.slice(0, 500)}`);
  const phase = JSON.parse(res.headers.get("x-timings"));
  return { ms: phase.total, roundTrip: performance.now() - t, phase };
}

/** The same composition with sharp in this process. */
async function sharpRun(f) {
  const xmlEscape = (s) => s.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
  const t = performance.now();
  const logo = await sharp(f.logo).resize(300, 300, { kernel: "lanczos3" }).png().toBuffer();
  const { data, info } = await sharp(f.badge).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let p = 3; p < data.length; p += 4) data[p] = data[p] >> 1;
  const badge = await sharp(data, { raw: info }).png().toBuffer();
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${TEXT.width}" height="90"><text x="0" y="64" font-family="Inter, sans-serif" font-size="${TEXT.size}" fill="${TEXT.color}">${xmlEscape("Voucher code: CASCADE-2026")}</text></svg>`;
  await sharp(f.background)
    .composite([
      { input: logo, left: 1500, top: 80 },
      { input: badge, left: 100, top: 100 },
      { input: Buffer.from(svg), left: TEXT.x, top: TEXT.y },
    ])
    .png()
    .toBuffer();
  return performance.now() - t;
}

export async function imageBench() {
  const f = await fixtures();
  sharp.concurrency(1);
  const mf = await startWorkerd();
  // The two alternate, one run each in turn, so a slow spell of this shared machine falls on both
  // sides alike; the first run of each warms up and is not counted.
  const ours = [];
  const theirs = [];
  let allocate = [];
  try {
    for (let i = 0; i <= RUNS; i++) {
      const a = await workerdRun(mf, f);
      const b = await sharpRun(f);
      if (i === 0) continue;
      ours.push(a);
      theirs.push(b);
    }
    allocate = await (await mf.dispatchFetch("http://bench/allocate")).json();
  } finally {
    await mf.dispose();
  }
  const oursMs = median(ours.map((r) => r.ms));
  const theirsMs = median(theirs);
  const phases = Object.keys(ours[0].phase).filter((k) => k !== "total");
  console.log(
    `\nimage-compositor: 1920×1080 + 2 image layers (resize, 50 % opacity) + 1 text layer, ${RUNS} runs each, alternating`,
  );
  console.log(
    `  workerd (Cascade adapter):  median ${oursMs.toFixed(0)} ms inside the Worker (${median(ours.map((r) => r.roundTrip)).toFixed(0)} ms with moving ~${(f.background.length / 1e6).toFixed(1)} MB in and out of workerd)`,
  );
  console.log(`  sharp/libvips (baseline):   median ${theirsMs.toFixed(0)} ms (one thread)`);
  console.log(
    `  ratio: ${(oursMs / theirsMs).toFixed(2)}× sharp (goal ≤ 1.0×); run by run: ${ours.map((r, i) => (r.ms / theirs[i]).toFixed(2)).join(" ")}`,
  );
  console.log(
    `  fastest run: workerd ${Math.min(...ours.map((r) => r.ms)).toFixed(0)} ms, sharp ${Math.min(...theirs).toFixed(0)} ms`,
  );
  console.log(
    `  fresh memory in workerd: allocating and filling one 8 MB frame took ${allocate.map((t) => t.toFixed(0)).join(" ")} ms (12 tries)`,
  );
  console.log(
    `  where the time goes in workerd (median ms): ${phases.map((k) => `${k} ${median(ours.map((r) => r.phase[k]))}`).join(", ")}`,
  );
  return { ours: oursMs, baseline: theirsMs };
}
