// @ts-check
/**
 * The native media server: runs Debian's ffmpeg for one job at a time, for the media Worker.
 * Deployed, it is the process of a Cloudflare Container (native/Dockerfile, reached through the
 * media Worker's NativeMedia class); in development `npm run dev` starts it as a local process.
 *
 * It holds no credentials. A job (POST /jobs) names its inputs by read-grant URLs and its outputs by
 * one write-grant URL, both made by the engine (src/lib/file-grants.ts); the ffmpeg arguments come
 * whole from the media Worker, built by the same functions as its WASM runs. The answer is NDJSON:
 * progress lines while ffmpeg runs, then one `done` or `error` line. If the caller goes away, ffmpeg
 * is killed; whatever happens, the job's folder is removed. Plain JavaScript with JSDoc types, so
 * the image needs no build step and Debian's Node 18 runs it as it is.
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, statfs } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

const PORT = Number(process.env.PORT ?? 8080);
const HOST = process.env.HOST ?? "0.0.0.0";
// Per port, so two servers on one machine (two dev sessions) never clear each other's folders.
const WORK = process.env.NATIVE_WORK_DIR ?? join(tmpdir(), `cascade-native-${PORT}`);
const FFMPEG = process.env.FFMPEG ?? "ffmpeg";
const FFPROBE = process.env.FFPROBE ?? "ffprobe";
/** Room kept free beside a job's own estimate: ffmpeg's outputs are about the size of its inputs. */
const DISK_MARGIN = 256 * 1024 * 1024;
const NAME = /^[\w.-]{1,255}$/;
const MAX_BODY = 1024 * 1024;

/**
 * @typedef {{ name: string, url: string, size: number, probe?: boolean, stream?: boolean }} JobInput
 * @typedef {{ match: string, content_type: string, as?: string }} OutputRule
 * @typedef {{ max_pixels: number, max_seconds: number }} JobLimits
 * @typedef {{ inputs: JobInput[], args: string[], outputs: OutputRule[], upload: string, seconds: number, limits?: JobLimits }} Job
 * @typedef {{ kind: string, [key: string]: unknown }} Failure
 */

class JobFailure extends Error {
  /** @param {Failure} failure @param {boolean} [retryable] */
  constructor(failure, retryable = false) {
    super(failure.kind);
    this.failure = failure;
    this.retryable = retryable;
  }
}

/** @type {{ controller: AbortController } | null} */
let current = null;

/** @param {unknown} body @returns {Job} */
function parseJob(body) {
  const j = /** @type {Job} */ (body);
  const ok =
    j &&
    Array.isArray(j.inputs) &&
    j.inputs.every((i) => i && NAME.test(i.name) && typeof i.url === "string" && Number.isFinite(i.size)) &&
    Array.isArray(j.args) &&
    j.args.every((a) => typeof a === "string") &&
    Array.isArray(j.outputs) &&
    j.outputs.every((o) => o && typeof o.match === "string" && typeof o.content_type === "string") &&
    typeof j.upload === "string" &&
    typeof j.seconds === "number";
  if (!ok) throw new Error("not a job");
  return j;
}

/** @param {string} path */
async function freeBytes(path) {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

/** @param {string} url @param {string} path @param {AbortSignal} signal */
async function download(url, path, signal) {
  let res;
  try {
    res = await fetch(url, { signal });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new JobFailure({ kind: "native_transfer_failed", detail: `input not reachable (${String(err)})` }, true);
  }
  if (!res.ok || !res.body)
    throw new JobFailure(
      { kind: "native_transfer_failed", detail: `input answered HTTP ${res.status}` },
      res.status >= 500 || res.status === 429,
    );
  await pipeline(Readable.fromWeb(/** @type {any} */ (res.body)), createWriteStream(path), { signal });
}

/** @param {string} url @param {string} path @param {string} type @param {AbortSignal} signal */
async function upload(url, path, type, signal) {
  const { size } = await stat(path);
  for (let attempt = 1; ; attempt++) {
    let status = 0;
    try {
      const res = await fetch(url, {
        method: "PUT",
        body: /** @type {any} */ (Readable.toWeb(createReadStream(path))),
        headers: { "content-type": type, "content-length": String(size) },
        signal,
        // @ts-expect-error Node's fetch needs this for a streamed body
        duplex: "half",
      });
      status = res.status;
      await res.arrayBuffer();
      if (res.ok) return size;
    } catch (err) {
      if (signal.aborted) throw err;
    }
    const retryable = status === 0 || status >= 500 || status === 429;
    if (!retryable || attempt === 3)
      throw new JobFailure(
        { kind: "native_transfer_failed", detail: `output not stored (HTTP ${status || "no answer"})` },
        retryable,
      );
    await new Promise((r) => setTimeout(r, 1000 * attempt));
  }
}

/** @param {string} path @returns {Promise<{ width: number, height: number, seconds: number } | null>} */
async function probe(path) {
  const out = await collect(FFPROBE, ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", path]);
  if (out.code !== 0) return null;
  const info = JSON.parse(out.stdout);
  const v = (info.streams ?? []).find((/** @type {any} */ s) => s.codec_type === "video");
  const seconds = Number(info.format?.duration);
  if (!v || !Number.isFinite(seconds)) return null;
  return { width: v.width, height: v.height, seconds };
}

/** @param {string} cmd @param {string[]} args */
function collect(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", () => resolve({ code: -1, stdout, stderr }));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The resident peak of a process so far (Linux), in kB; 0 where /proc says nothing. */
function peakKb(/** @type {number | undefined} */ pid) {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** @param {string} text */
function lastError(text) {
  const lines = text.split("\n").filter((l) => /error|invalid|no such|could not|failed|not supported|unknown/i.test(l));
  return (lines.slice(-2).join(" / ") || text.trim().split("\n").pop() || "ffmpeg failed").slice(0, 300);
}

/**
 * @param {Job} job @param {string} dir @param {(ratio: number) => void} onProgress @param {AbortSignal} signal
 * @returns {Promise<{ code: number, stderr: string, peakKb: number }>}
 */
function ffmpeg(job, dir, onProgress, signal) {
  return new Promise((resolve) => {
    // A streamed input is read by ffmpeg itself, seeking with ranged requests, instead of from disk.
    const urls = new Map(job.inputs.filter((i) => i.stream).map((i) => [i.name, i.url]));
    const args = job.args.map((a) => urls.get(a) ?? a);
    const child = spawn(FFMPEG, ["-hide_banner", "-nostats", "-y", "-progress", "pipe:1", ...args], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, peakKb(child.pid))), 250);
    const kill = () => child.kill("SIGKILL");
    signal.addEventListener("abort", kill, { once: true });
    child.stdout.on("data", (d) => {
      const us = /out_time_us=(\d+)/.exec(String(d));
      if (us && job.seconds > 0) onProgress(Math.min(1, Number(us[1]) / 1e6 / job.seconds));
    });
    child.stderr.on("data", (d) => {
      stderr = (stderr + d).slice(-20_000);
    });
    const done = (/** @type {number} */ code) => {
      clearInterval(watch);
      signal.removeEventListener("abort", kill);
      resolve({ code, stderr, peakKb: peak });
    };
    child.on("error", (err) => {
      stderr += String(err);
      done(-1);
    });
    child.on("close", (code) => done(code ?? -1));
  });
}

/** @param {Job} job @param {(line: object) => void} send @param {AbortSignal} signal */
async function runJob(job, send, signal) {
  const dir = await mkdtemp(join(WORK, "job-"));
  try {
    const t0 = Date.now();
    for (const input of job.inputs.filter((i) => !i.stream)) await download(input.url, join(dir, input.name), signal);
    const t1 = Date.now();
    for (const input of job.inputs.filter((i) => i.probe && !i.stream)) {
      const info = await probe(join(dir, input.name));
      if (!info)
        throw new JobFailure({
          kind: "video_unsupported",
          fileName: input.name,
          detail: "ffprobe found no video in it",
        });
      const limits = job.limits;
      if (limits && info.width * info.height > limits.max_pixels)
        throw new JobFailure({ kind: "video_frame_too_large", width: info.width, height: info.height });
      if (limits && info.seconds > limits.max_seconds)
        throw new JobFailure({ kind: "video_too_long", seconds: Math.round(info.seconds) });
    }
    let reported = -1;
    const run = await ffmpeg(
      job,
      dir,
      (ratio) => {
        const percent = Math.floor(ratio * 100);
        if (percent < reported + 1) return;
        reported = percent;
        send({ event: "progress", ratio });
      },
      signal,
    );
    if (signal.aborted) return;
    if (run.code !== 0) throw new JobFailure({ kind: "ffmpeg_failed", detail: lastError(run.stderr) });
    const t2 = Date.now();
    const inputs = new Set(job.inputs.map((i) => i.name));
    const names = (await readdir(dir)).filter((n) => !inputs.has(n) && NAME.test(n)).sort();
    const files = [];
    for (const rule of job.outputs) {
      const re = new RegExp(`^(?:${rule.match})$`);
      for (const name of names.filter((n) => re.test(n))) {
        const as = rule.as && NAME.test(rule.as) ? rule.as : name;
        const size = await upload(
          `${job.upload}/${encodeURIComponent(as)}`,
          join(dir, name),
          rule.content_type,
          signal,
        );
        files.push({ name: as, size, content_type: rule.content_type });
      }
    }
    const done = {
      event: "done",
      files,
      bytes_in: job.inputs.reduce((n, i) => n + (i.stream ? 0 : i.size), 0),
      bytes_out: files.reduce((n, f) => n + f.size, 0),
      download_ms: t1 - t0,
      ffmpeg_ms: t2 - t1,
      upload_ms: Date.now() - t2,
      ffmpeg_peak_mb: Math.round(run.peakKb / 1024),
      server_peak_mb: Math.round(peakKb(process.pid) / 1024),
    };
    // One line per job in the log: what operators (and `npm run bench native`) read of it.
    console.log(JSON.stringify({ ...done, event: "job done", files: files.length }));
    send(done);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** @param {import("node:http").IncomingMessage} req */
async function readJson(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error("body too large");
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** @param {import("node:http").ServerResponse} res @param {number} status @param {object} body */
function reply(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const server = createServer(async (req, res) => {
  if (req.method === "GET" && req.url === "/healthz")
    return reply(res, 200, { ok: true, pid: process.pid, busy: current !== null, free_bytes: await freeBytes(WORK) });
  if (req.method !== "POST" || req.url !== "/jobs")
    return reply(res, 404, { error: { code: "not_found", message: "POST /jobs or GET /healthz" } });
  let job;
  try {
    job = parseJob(await readJson(req));
  } catch (err) {
    return reply(res, 400, { error: { code: "invalid_job", message: String(/** @type {Error} */ (err).message) } });
  }
  // One job at a time: ffmpeg takes every core, and a second would only halve both.
  if (current) return reply(res, 503, { error: { code: "busy", message: "a job is running" } }, { "retry-after": "5" });
  const need = job.inputs.reduce((n, i) => n + (i.stream ? 0 : i.size), 0) * 2 + DISK_MARGIN;
  const free = await freeBytes(WORK);
  if (free < need)
    return reply(res, 507, {
      error: {
        code: "disk_full",
        message: `the job needs about ${Math.ceil(need / 2 ** 20)} MB of disk, ${Math.floor(free / 2 ** 20)} MB are free`,
      },
    });
  const controller = new AbortController();
  current = { controller };
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
  const send = (/** @type {object} */ line) => {
    if (!res.writableEnded) res.write(`${JSON.stringify(line)}\n`);
  };
  // The caller went away (the Worker's invocation ended, or the job was given up): stop ffmpeg.
  res.on("close", () => {
    if (!res.writableFinished) controller.abort(new Error("caller went away"));
  });
  try {
    await runJob(job, send, controller.signal);
  } catch (err) {
    if (!controller.signal.aborted) {
      const failure =
        err instanceof JobFailure ? err : new JobFailure({ kind: "native_failed", detail: String(err) }, true);
      send({ event: "error", failure: failure.failure, retryable: failure.retryable });
    }
  } finally {
    current = null;
    res.end();
  }
});

// The platform stops an instance with SIGTERM: end the running ffmpeg (its folder goes with it).
for (const signal of ["SIGTERM", "SIGINT"])
  process.on(signal, () => {
    current?.controller.abort(new Error(signal));
    server.close();
    setTimeout(() => process.exit(0), 500).unref();
  });

await mkdir(WORK, { recursive: true });
// Folders of jobs whose process was killed outright (SIGKILL) are removed at the next start.
for (const old of await readdir(WORK)) await rm(join(WORK, old), { recursive: true, force: true });
server.listen(PORT, HOST, () => {
  const address = server.address();
  console.log(`native media server on ${typeof address === "object" && address ? address.port : PORT}`);
});
