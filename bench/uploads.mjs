/**
 * Upload memory benchmark: the API Worker isolate's memory (V8 heap + ArrayBuffer backing stores +
 * embedder heap, read through the inspector with Runtime.getHeapUsage every 100 ms, no forced GC,
 * so garbage not yet collected counts too) and, for scale, the whole workerd process's resident
 * memory (every isolate and the local R2), while `npm run dev` receives
 *   - a 95 MB multipart submission, three times in a row,
 *   - a 1 GB tus upload in 50 MB requests,
 * against a baseline Worker that reads the same 95 MB body with `request.formData()` (what the
 * engine did before), measured the same way in the same run. Figures above idle: the isolate's peak
 * and what it retains after collection; the process's peak.
 */
/*
 * A `_url` import is not measured: under wrangler dev 4.86, with this inspector attached, a 64 MB
 * fetched body had not arrived after 5 minutes and workerd's RSS passed 2 GB; in a plain
 * `wrangler dev` every ~4 KB chunk of a fetched body opened a connection to wrangler's Node
 * process, so 256 MB ran out of file descriptors (20 000 here). The import writes to R2 through
 * the same `streamToR2` as a multipart file.
 */
import { execSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "@20minutes/s3rver";
import { isolateMemory } from "./isolate-memory.mjs";

const MB = 1024 * 1024;
const pattern = (from, length) => {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = ((from + i) * 31 + ((from + i) >>> 16)) & 255;
  return out;
};
const DEMO_KEY = /DEMO_API_KEY=(.+)/.exec(readFileSync(".dev.vars", "utf8"))[1].trim();
const auth = { authorization: `Bearer ${DEMO_KEY}` };

/** Resident memory of every workerd process under `pgid`, in bytes. */
function workerdRss(pgid) {
  const out = execSync(`ps -o rss=,comm= -g ${pgid} || true`).toString();
  return out
    .split("\n")
    .filter((l) => /workerd/.test(l))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0]) * 1024, 0);
}

/**
 * Runs `fn` while sampling both figures every 100 ms; returns their peaks, and the isolate's lowest
 * sample over the run's second half: what it still holds after V8 has collected (the peaks include
 * garbage not yet collected, so they follow V8's GC timing more than the file's size).
 */
async function peakDuring(server, fn) {
  let rss = workerdRss(server.pgid);
  let heap = await server.isolate.read();
  const samples = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      rss = Math.max(rss, workerdRss(server.pgid));
      const h = await server.isolate.read();
      heap = Math.max(heap, h);
      samples.push(h);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    await fn();
  } finally {
    running = false;
    await sampler;
  }
  return { rss, heap, retained: Math.min(...samples.slice(Math.floor(samples.length / 2))) };
}

async function idle(server) {
  await new Promise((r) => setTimeout(r, 1500));
  let rss = 0;
  let heap = 0;
  for (let i = 0; i < 20; i++) {
    rss = Math.max(rss, workerdRss(server.pgid));
    heap = Math.max(heap, await server.isolate.read());
    await new Promise((r) => setTimeout(r, 50));
  }
  return { rss, heap };
}

async function start(args, port, inspectorPort, env = {}) {
  const work = mkdtempSync(join(tmpdir(), "cascade-bench-"));
  const proc = spawn(
    args[0],
    [...args.slice(1), "--persist-to", join(work, "state"), "--inspector-port", String(inspectorPort)],
    { env: { ...process.env, ...env }, stdio: "ignore", detached: true },
  );
  const base = `http://127.0.0.1:${port}`;
  for (const until = Date.now() + 120_000; ; ) {
    try {
      if ((await fetch(`${base}/healthz`)).status < 500) break;
    } catch {}
    if (Date.now() > until) throw new Error(`${args.join(" ")} did not come up`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const isolate = await isolateMemory(`ws://127.0.0.1:${inspectorPort}/ws`);
  const stop = () => {
    isolate.close();
    process.kill(-proc.pid, "SIGTERM");
    rmSync(work, { recursive: true, force: true });
  };
  return { base, pgid: proc.pid, isolate, stop };
}

function multipart(fields, file) {
  const boundary = "----cascade-bench";
  const head =
    Object.entries(fields)
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join("") +
    `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), pattern(0, file.size), Buffer.from(tail)]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

const mb = (bytes) => `${(bytes / MB).toFixed(1)} MB`;

export async function uploadsBench() {
  const rows = [];
  const show = (r) =>
    console.log(
      `  ${r.what.padEnd(46)} isolate peak ${mb(r.peak.heap - r.idle.heap).padStart(9)}, retained ${mb(r.peak.retained - r.idle.heap).padStart(8)} (idle ${mb(r.idle.heap)})   process ${mb(r.peak.rss - r.idle.rss).padStart(9)} (idle ${mb(r.idle.rss)})`,
    );
  const push = (r) => {
    rows.push(r);
    show(r);
  };
  console.log(
    "Upload memory above idle: the API Worker isolate (heap + buffers: peak, and retained after collection), and the whole workerd process (RSS peak):",
  );

  // Baseline: the same 95 MB body read whole by request.formData().
  const baseline = await start(
    [
      "npx",
      "wrangler",
      "dev",
      "-c",
      "bench/formdata.wrangler.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      "8791",
      "--show-interactive-dev-session=false",
    ],
    8791,
    9241,
  );
  try {
    const base0 = await idle(baseline);
    const { body, type } = multipart({ configuration_names: '["up"]' }, { name: "up_data", size: 95 * MB });
    const peak = await peakDuring(baseline, async () => {
      const res = await fetch(`${baseline.base}/`, { method: "POST", headers: { "content-type": type }, body });
      if (!res.ok) throw new Error(`baseline: ${res.status} ${await res.text()}`);
    });
    push({ what: "baseline: 95 MB multipart read by formData()", idle: base0, peak });
  } finally {
    baseline.stop();
  }

  // The API Worker alone (uploads, imports and the s3-upload step all run there), so the inspector
  // is attached to its isolate, and a local S3 for the step.
  const s3dir = mkdtempSync(join(tmpdir(), "cascade-bench-s3-"));
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 4590,
    silent: true,
    directory: s3dir,
    configureBuckets: [{ name: "demo" }],
  });
  await s3.run();
  const dev = await start(
    [
      "npx",
      "wrangler",
      "dev",
      "-c",
      "wrangler.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      "8790",
      "--show-interactive-dev-session=false",
    ],
    8790,
    9240,
  );
  try {
    const api = (path, init = {}) =>
      fetch(`${dev.base}${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
    const ok = async (res, what) => {
      if (res.status >= 300) throw new Error(`${what}: ${res.status} ${await res.text()}`);
      return res;
    };
    await ok(
      await api("/api/storage", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: "bench",
          type: "s3",
          region: "us-east-1",
          endpoint: "http://127.0.0.1:4590",
          bucket: "demo",
          access_key_id: "S3RVER",
          secret_access_key: "S3RVER",
        }),
      }),
      "storage",
    );
    await ok(
      await api("/api/configurations/up", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ adapter: "s3-upload", params: { storage: "bench" } }),
      }),
      "configuration",
    );
    const rest = await idle(dev);

    const { body, type } = multipart({ configuration_names: '["up"]' }, { name: "up_data", size: 95 * MB });
    // Three in a row: one request is over in a few seconds, and V8 may not collect within it.
    const submitThree = async () => {
      for (let i = 0; i < 3; i++)
        await ok(await api("/api/taskgroup/", { method: "POST", headers: { "content-type": type }, body }), "submit");
    };
    push({ what: "95 MB multipart submission (3 in a row)", idle: rest, peak: await peakDuring(dev, submitThree) });

    const GB = 1024 * MB;
    const created = await ok(
      await api("/api/uploads", { method: "POST", headers: { "tus-resumable": "1.0.0", "upload-length": String(GB) } }),
      "tus create",
    );
    const location = new URL(created.headers.get("location")).pathname;
    push({
      what: "1 GB tus upload, 50 MB PATCHes",
      idle: rest,
      peak: await peakDuring(dev, async () => {
        for (let at = 0; at < GB; at += 50 * MB) {
          const chunk = pattern(at, Math.min(50 * MB, GB - at));
          await ok(
            await api(location, {
              method: "PATCH",
              headers: {
                "tus-resumable": "1.0.0",
                "content-type": "application/offset+octet-stream",
                "upload-offset": String(at),
              },
              body: chunk,
            }),
            `PATCH at ${at}`,
          );
        }
      }),
    });
  } finally {
    dev.stop();
    await s3.close();
    rmSync(s3dir, { recursive: true, force: true });
  }

  const base = rows[0].peak.heap - rows[0].idle.heap;
  for (const r of rows.slice(1))
    console.log(`  ${r.what}: isolate ${((r.peak.heap - r.idle.heap) / base).toFixed(2)}× the formData() baseline`);
}
