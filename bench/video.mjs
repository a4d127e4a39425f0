/**
 * Video benchmark: video-overlay of a 5 s 960×540 clip with audio (the largest frame the media Worker
 * takes) in workerd (ffmpeg.wasm, one thread) against native ffmpeg with the same arguments on one
 * thread, in the same run.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FormData, Miniflare } from "miniflare";
import sharp from "sharp";

const RUNS = Number(process.env.BENCH_VIDEO_RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const PARAMS = { overlay_file_name: "logo.png", position: "bottom-right", margin: 24, opacity: 0.9 };

function nativeFfmpeg() {
  const r = spawnSync("ffmpeg", ["-version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\n")[0] : null;
}

export async function clip(dir, seconds = 5, size = "960x540") {
  const path = join(dir, `clip-${seconds}-${size}.mp4`);
  const args = [
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${size}:rate=25:duration=${seconds}`,
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-shortest",
    "-y",
    path,
  ];
  if (nativeFfmpeg()) execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", ...args]);
  else {
    const { ffmpegNodeFile } = await import("./ffmpeg-node-file.mjs");
    await ffmpegNodeFile(args, path);
  }
  return readFileSync(path);
}

/**
 * The bench Worker in Miniflare. Its memory is read from its workerd process (`/proc`: VmHWM, the
 * resident peak, against VmRSS once the Worker is loaded and idle), because the inspector's heap
 * figures leave out WASM memory. The figure is the whole isolate (V8 heap, buffers, WASM memory,
 * compiled code) plus the posted request and the in-memory copies the bench context keeps
 * (bench/memory-context.ts), which a real step holds too (its input read from R2, its output).
 */
export async function startWorker() {
  execFileSync(
    "npx",
    [
      "wrangler",
      "deploy",
      "--dry-run",
      "-c",
      "bench/video.wrangler.toml",
      "--outdir",
      resolve(".wrangler/bench-video-build"),
    ],
    { stdio: "ignore" },
  );
  const mf = new Miniflare({
    modules: true,
    scriptPath: resolve(".wrangler/bench-video-build/video-worker.js"),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm", "**/*-wasm"] }],
    compatibilityDate: "2026-04-20",
  });
  await (await mf.dispatchFetch(`http://bench/args?params=${encodeURIComponent(JSON.stringify(PARAMS))}`)).text();
  const pid = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)])
    .toString()
    .split("\n")
    .filter((l) => /workerd/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]))[0];
  const status = (field) =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
  const idleMb = Math.round(status("VmRSS"));
  /** The process's resident peak so far, above the loaded Worker's idle figure, in MB. */
  const peakMb = () => Math.round(status("VmHWM")) - idleMb;
  return { mf, idleMb, peakMb, dispose: () => mf.dispose() };
}

export const logoPng = () =>
  sharp({ create: { width: 240, height: 120, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0.8 } } })
    .png()
    .toBuffer();

async function overlayInWorkerd(mf, video, logo, path = "/") {
  const form = new FormData();
  form.set("clip.mp4", new Blob([video]), "clip.mp4");
  form.set("logo.png", new Blob([logo]), "logo.png");
  form.set("params", JSON.stringify(PARAMS));
  const res = await mf.dispatchFetch(`http://bench${path}`, { method: "POST", body: form });
  const body = await res.text();
  if (!res.ok) throw new Error(`bench worker answered ${res.status}: ${body.slice(0, 400)}`);
  return {
    ms: Number(res.headers.get("x-ms")),
    heapMb: Number(res.headers.get("x-heap-mb")),
    ffmpegMs: Number(res.headers.get("x-ffmpeg-ms")),
  };
}

/** `npm run bench limits`: time and ffmpeg heap of the overlay by frame size and duration (the README's limits). */
export async function videoLimits() {
  const dir = mkdtempSync(join(tmpdir(), "cascade-bench-limits-"));
  try {
    const logo = await logoPng();
    console.log(
      "\nvideo-overlay's ffmpeg run by frame size, 25 fps H.264 + AAC inputs, in workerd (a fresh one each); memory = the workerd process's resident peak above the loaded Worker's idle figure:",
    );
    const bare = await startWorker();
    try {
      const heap = (await bare.mf.dispatchFetch("http://bench/version")).headers.get("x-heap-mb");
      console.log(
        `  ffmpeg started, no frames: ffmpeg heap ${heap} MB, whole ${bare.peakMb()} MB (idle ${bare.idleMb} MB)`,
      );
    } finally {
      await bare.dispose();
    }
    for (const [size, seconds] of [
      ["640x360", 5],
      ["640x360", 30],
      ["854x480", 5],
      ["960x540", 5],
      ["960x540", 30],
      ["1280x720", 5],
      ["1280x720", 15],
      ["1920x1080", 5],
    ]) {
      const video = await clip(dir, seconds, size);
      const worker = await startWorker();
      try {
        const r = await overlayInWorkerd(worker.mf, video, logo, "/raw");
        console.log(
          `  ${size.padStart(9)} ${String(seconds).padStart(3)} s, ${(video.length / 1e6).toFixed(1).padStart(5)} MB in: ${r.ms} ms, ffmpeg heap ${r.heapMb} MB, whole ${worker.peakMb()} MB (idle ${worker.idleMb} MB)`,
        );
      } finally {
        await worker.dispose();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function videoBench() {
  const dir = mkdtempSync(join(tmpdir(), "cascade-bench-video-"));
  try {
    const video = await clip(dir);
    const logo = await logoPng();
    writeFileSync(join(dir, "in.mp4"), video);
    writeFileSync(join(dir, "overlay.img"), logo);

    const worker = await startWorker();
    const ours = [];
    let args;
    let heap = 0;
    let ffmpegMs = 0;
    let whole = 0;
    try {
      args = await (
        await worker.mf.dispatchFetch(`http://bench/args?params=${encodeURIComponent(JSON.stringify(PARAMS))}`)
      ).json();
      for (let i = 0; i <= RUNS; i++) {
        const r = await overlayInWorkerd(worker.mf, video, logo);
        if (i === 0) whole = worker.peakMb();
        if (i > 0) ours.push(r.ms);
        heap = r.heapMb;
        ffmpegMs = r.ffmpegMs;
      }
    } finally {
      await worker.dispose();
    }
    console.log(`\nvideo-overlay: 5 s 960×540 H.264 + AAC clip, PNG logo at 90 % opacity, ${RUNS} runs each`);
    console.log(
      `  workerd (ffmpeg.wasm, Cascade adapter): median ${median(ours)} ms (includes reading the input's index), ffmpeg heap ${heap} MB, whole workerd peak in the first run ${whole} MB above idle`,
    );
    console.log(
      `  where the time goes (last run): the overlay + encode run ${ffmpegMs} ms; reading, probing and writing the rest`,
    );
    const version = nativeFfmpeg();
    if (!version) {
      console.log("  native ffmpeg: not installed (apt-get install ffmpeg) — baseline skipped");
      return;
    }
    const native = [];
    for (let i = 0; i <= RUNS; i++) {
      const t = performance.now();
      execFileSync(
        "ffmpeg",
        [
          "-hide_banner",
          "-loglevel",
          "error",
          "-filter_threads",
          "1",
          "-filter_complex_threads",
          "1",
          ...args,
          "-threads",
          "1",
          "-y",
          "out.mp4",
        ],
        { cwd: dir },
      );
      if (i > 0) native.push(performance.now() - t);
    }
    console.log(
      `  native ${version.replace(/ Copyright.*/, "")} (same arguments, one thread): median ${median(native).toFixed(0)} ms`,
    );
    console.log(`  ratio: ${(median(ours) / median(native)).toFixed(2)}× native (goal ≤ 3.5×)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
