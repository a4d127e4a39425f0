/**
 * `npm run bench native`: the native media runtime, each figure against its baseline in the same run.
 *   - A 90 s 1080p video-overlay through the engine on the native server (`npm run dev`: input read
 *     through a read grant, output written through a write grant), against plain native ffmpeg with
 *     the same arguments (the adapter's, from the bench Worker) and threads on local files.
 *   - The same overlay on WASM (pinned) at 960×540, per output pixel, beside the native run's.
 *   - Transfer through the grants, in and out, in MB/s; the peak memory of the native server process
 *     and of ffmpeg at 1080p and 2160p (the server's "job done" log lines).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clip, logoPng, PARAMS, startWorker } from "./video.mjs";

const DEMO_KEY = /DEMO_API_KEY=(.+)/.exec(readFileSync(".dev.vars", "utf8"))[1].trim();
const auth = { authorization: `Bearer ${DEMO_KEY}` };
const PORT = 8805;
const BASE = `http://127.0.0.1:${PORT}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes) => bytes / 1024 / 1024;
let stuckReads = 0;

async function startDev(work) {
  const log = join(work, "dev.log");
  const out = (await import("node:fs")).openSync(log, "a");
  const proc = spawn("node", ["scripts/dev.mjs", "--persist-to", join(work, "state")], {
    env: { ...process.env, PORT: String(PORT), S3_PORT: "4585", S3_DIR: join(work, "s3") },
    stdio: ["ignore", out, out],
    detached: true,
  });
  for (const until = Date.now() + 120_000; ; ) {
    if (
      await fetch(`${BASE}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > until) throw new Error("npm run dev did not come up");
    await sleep(300);
  }
  return {
    jobs: () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l.startsWith('{"event":"job done"'))
        .map((l) => JSON.parse(l)),
    tail: () => readFileSync(log, "utf8").split("\n").slice(-30).join("\n"),
    stop: () => {
      try {
        process.kill(-proc.pid, "SIGTERM");
      } catch {
        // It ended already (its log says why).
      }
    },
  };
}

async function call(path, init = {}) {
  const res = await fetch(`${BASE}${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } }).catch((err) => {
    throw new Error(`${init.method ?? "GET"} ${path}: ${err.cause?.message ?? err.message}`);
  });
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** One overlay through the engine; the step's wall time from its start to its end, and its result. */
async function overlay(video, name, runtime) {
  await call("/api/configurations/bench-overlay", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ adapter: "video-overlay", params: { ...PARAMS, runtime } }),
  });
  const form = new FormData();
  form.set("configuration_names", '["bench-overlay"]');
  form.set("bench-overlay_data", new File([video], name, { type: "video/mp4" }));
  const { task_id } = await call("/api/taskgroup/", { method: "POST", body: form });
  for (;;) {
    // Locally a status read sent while ffmpeg.wasm holds workerd's one thread can wait long after
    // the step ended (README, below "Local development values"): such a read is given up after 10 s and sent again, and counted.
    let view;
    try {
      view = await call(`/api/taskgroup/${task_id}`, { signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      if (!/aborted|timeout/i.test(String(err.message))) throw err;
      stuckReads++;
      continue;
    }
    if (view.status === "Failed") throw new Error(`${name}: ${JSON.stringify(view.results)}`);
    if (view.status === "Succeeded") {
      const step = view.steps[0];
      return { ms: Date.parse(step.ended_at) - Date.parse(step.started_at), result: step.result[0] };
    }
    await sleep(200);
  }
}

export async function nativeBench() {
  if (spawnSync("ffmpeg", ["-version"]).status !== 0) {
    console.log("\nnative bench skipped: no ffmpeg on this machine (Debian: apt-get install ffmpeg)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "cascade-bench-native-"));
  const logo = await logoPng();
  const talk = await clip(dir, 90, "1920x1080");
  const uhd = await clip(dir, 10, "3840x2160");
  const sd = await clip(dir, 20, "960x540");
  const worker = await startWorker();
  const args = await (
    await worker.mf.dispatchFetch(`http://bench/args?params=${encodeURIComponent(JSON.stringify(PARAMS))}`)
  ).json();
  await worker.dispose();
  // Baseline: the adapter's arguments, native ffmpeg with its default threads, on local files.
  writeFileSync(join(dir, "in.mp4"), talk);
  writeFileSync(join(dir, "overlay.img"), logo);
  const started = performance.now();
  const base = spawnSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args, "out.mp4"], { cwd: dir });
  if (base.status !== 0) throw new Error(`baseline ffmpeg: ${base.stderr}`);
  const baselineMs = Math.round(performance.now() - started);
  const dev = await startDev(dir);
  try {
    await call("/api/assets/logo.png", { method: "PUT", headers: { "content-type": "image/png" }, body: logo });
    const native = await overlay(talk, "talk.mp4", "auto");
    const uhdRun = await overlay(uhd, "uhd.mp4", "auto");
    const [talkJob, uhdJob] = dev.jobs();
    // Last: locally, the media queue's invocation that ran ffmpeg.wasm was seen not to end (README, below "Local development values").
    const wasm = await overlay(sd, "sd.mp4", "wasm");
    const perPixel = (ms, w, h, seconds) => (ms * 1e6) / (w * h * seconds * 25);
    const nativeNs = perPixel(native.ms, 1920, 1080, 90);
    const wasmNs = perPixel(wasm.ms, 960, 540, 20);
    console.log(
      "\nnative runtime: video-overlay (the adapter's arguments), 25 fps H.264 + AAC in, this 2-core machine",
    );
    console.log(`  ${spawnSync("ffmpeg", ["-version"], { encoding: "utf8" }).stdout.split("\n")[0]}`);
    console.log(
      `  1080p 90 s through the engine on native (${native.result.runtime}): step ${native.ms} ms ` +
        `(read ${talkJob.download_ms} ms, ffmpeg ${talkJob.ffmpeg_ms} ms, write ${talkJob.upload_ms} ms)`,
    );
    console.log(`  baseline: plain native ffmpeg, same arguments and threads, local files: ${baselineMs} ms`);
    console.log(`  ratio: ${(native.ms / baselineMs).toFixed(2)}× (goal ≤ 1.1×)`);
    console.log(
      `  transfer through the grants: in ${(mb(talkJob.bytes_in) / (talkJob.download_ms / 1000)).toFixed(0)} MB/s ` +
        `(${mb(talkJob.bytes_in).toFixed(1)} MB), out ${(mb(talkJob.bytes_out) / (talkJob.upload_ms / 1000)).toFixed(0)} MB/s ` +
        `(${mb(talkJob.bytes_out).toFixed(1)} MB)`,
    );
    console.log(
      `  per output pixel: native 1080p ${nativeNs.toFixed(1)} ns, WASM 960×540 (${wasm.result.runtime}, 20 s, step ${wasm.ms} ms) ` +
        `${wasmNs.toFixed(1)} ns: WASM ${(wasmNs / nativeNs).toFixed(1)}× native`,
    );
    console.log(
      `  peak memory: 1080p ffmpeg ${talkJob.ffmpeg_peak_mb} MB, server ${talkJob.server_peak_mb} MB; ` +
        `2160p 10 s (${uhdRun.result.runtime}, step ${uhdRun.ms} ms) ffmpeg ${uhdJob.ffmpeg_peak_mb} MB, server ${uhdJob.server_peak_mb} MB`,
    );
    if (stuckReads) console.log(`  (${stuckReads} status reads got no answer within 10 s and were sent again)`);
  } catch (err) {
    console.error(`native bench failed; the dev server's last lines:\n${dev.tail()}`);
    throw err;
  } finally {
    dev.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
