/**
 * Upload memory benchmark: the whole workerd process's resident memory (every isolate, the local
 * R2 and all; an upper bound of what our isolate holds) while `npm run dev` receives
 *   - a 95 MB multipart submission,
 *   - a 1 GB tus upload in 50 MB requests,
 *   - a 1 GB `_url` import (then uploaded to S3 by the step),
 * against a baseline Worker that reads the same 95 MB body with `request.formData()` (what the
 * engine did before), measured the same way in the same run. Figures: peak RSS above idle.
 */
import { execSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
  return out.split("\n").filter((l) => /workerd/.test(l)).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0]) * 1024, 0);
}

/** Runs `fn` while sampling RSS every 25 ms; returns the peak. */
async function peakDuring(pgid, fn) {
  let peak = workerdRss(pgid);
  const timer = setInterval(() => (peak = Math.max(peak, workerdRss(pgid))), 25);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, workerdRss(pgid));
}

async function idleRss(pgid) {
  await new Promise((r) => setTimeout(r, 1500));
  const samples = [];
  for (let i = 0; i < 20; i++) {
    samples.push(workerdRss(pgid));
    await new Promise((r) => setTimeout(r, 50));
  }
  return Math.max(...samples);
}

async function start(args, port, env = {}) {
  const work = mkdtempSync(join(tmpdir(), "cascade-bench-"));
  const proc = spawn(args[0], [...args.slice(1), "--persist-to", join(work, "state")], { env: { ...process.env, ...env }, stdio: "ignore", detached: true });
  const base = `http://127.0.0.1:${port}`;
  for (const until = Date.now() + 120_000; ; ) {
    try {
      if ((await fetch(`${base}/healthz`)).status < 500) break;
    } catch {}
    if (Date.now() > until) throw new Error(`${args.join(" ")} did not come up`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return { base, pgid: proc.pid, stop: () => (process.kill(-proc.pid, "SIGTERM"), rmSync(work, { recursive: true, force: true })) };
}

function multipart(fields, file) {
  const boundary = "----cascade-bench";
  const head = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("") +
    `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  return { body: Buffer.concat([Buffer.from(head), pattern(0, file.size), Buffer.from(tail)]), type: `multipart/form-data; boundary=${boundary}` };
}

const mb = (bytes) => `${(bytes / MB).toFixed(1)} MB`;

export async function uploadsBench() {
  const bytesServer = createServer(async (req, res) => {
    const total = Number(/^\/bytes\/(\d+)$/.exec(req.url ?? "")?.[1] ?? 0);
    res.writeHead(200, { "content-type": "application/octet-stream" });
    for (let at = 0; at < total; at += MB) if (!res.write(pattern(at, Math.min(MB, total - at)))) await new Promise((r) => res.once("drain", r));
    res.end();
  });
  await new Promise((r) => bytesServer.listen(0, "127.0.0.1", r));
  const bytesUrl = `http://127.0.0.1:${bytesServer.address().port}`;
  const rows = [];

  // Baseline: the same 95 MB body read whole by request.formData().
  const baseline = await start(["npx", "wrangler", "dev", "-c", "bench/formdata.wrangler.toml", "--ip", "127.0.0.1", "--port", "8791", "--show-interactive-dev-session=false"], 8791);
  try {
    const idle = await idleRss(baseline.pgid);
    const { body, type } = multipart({ configuration_names: '["up"]' }, { name: "up_data", size: 95 * MB });
    const peak = await peakDuring(baseline.pgid, async () => {
      const res = await fetch(`${baseline.base}/`, { method: "POST", headers: { "content-type": type }, body });
      if (!res.ok) throw new Error(`baseline: ${res.status} ${await res.text()}`);
    });
    rows.push({ what: "baseline: 95 MB multipart read by formData()", idle, peak });
  } finally {
    baseline.stop();
  }

  const dev = await start(["node", "scripts/dev.mjs"], 8790, { PORT: "8790", S3_PORT: "4590" });
  try {
    const api = (path, init = {}) => fetch(`${dev.base}${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
    const ok = async (res, what) => {
      if (res.status >= 300) throw new Error(`${what}: ${res.status} ${await res.text()}`);
      return res;
    };
    await ok(await api("/api/storage", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "bench", type: "s3", region: "us-east-1", endpoint: "http://127.0.0.1:4590", bucket: "demo", access_key_id: "S3RVER", secret_access_key: "S3RVER" }) }), "storage");
    await ok(await api("/api/configurations/up", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ adapter: "s3-upload", params: { storage: "bench" } }) }), "configuration");
    const idle = await idleRss(dev.pgid);

    const { body, type } = multipart({ configuration_names: '["up"]' }, { name: "up_data", size: 95 * MB });
    rows.push({ what: "95 MB multipart submission", idle, peak: await peakDuring(dev.pgid, async () => void (await ok(await api("/api/taskgroup/", { method: "POST", headers: { "content-type": type }, body }), "submit"))) });

    const GB = 1024 * MB;
    const created = await ok(await api("/api/uploads", { method: "POST", headers: { "tus-resumable": "1.0.0", "upload-length": String(GB) } }), "tus create");
    const location = new URL(created.headers.get("location")).pathname;
    rows.push({
      what: "1 GB tus upload, 50 MB PATCHes",
      idle,
      peak: await peakDuring(dev.pgid, async () => {
        for (let at = 0; at < GB; at += 50 * MB) {
          const chunk = pattern(at, Math.min(50 * MB, GB - at));
          await ok(await api(location, { method: "PATCH", headers: { "tus-resumable": "1.0.0", "content-type": "application/offset+octet-stream", "upload-offset": String(at) }, body: chunk }), `PATCH at ${at}`);
        }
      }),
    });

    rows.push({
      what: "1 GB _url import (then to S3)",
      idle,
      peak: await peakDuring(dev.pgid, async () => {
        const res = await ok(await api("/api/taskgroup/", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ configuration_names: ["up"], up_url: `${bytesUrl}/bytes/${GB}` }) }), "import");
        const { task_id } = await res.json();
        for (;;) {
          const view = await (await api(`/api/taskgroup/${task_id}`)).json();
          if (["Succeeded", "Failed", "Cancelled"].includes(view.status)) {
            if (view.status !== "Succeeded") throw new Error(`import: ${JSON.stringify(view.results)}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }),
    });
  } finally {
    dev.stop();
    bytesServer.close();
  }

  console.log("\nUpload memory (workerd processes' RSS; peak above idle):");
  for (const r of rows) console.log(`  ${r.what.padEnd(46)} idle ${mb(r.idle).padStart(9)}  peak ${mb(r.peak).padStart(9)}  above idle ${mb(r.peak - r.idle).padStart(9)}`);
  const base = rows[0].peak - rows[0].idle;
  for (const r of rows.slice(1)) console.log(`  ${r.what}: ${((r.peak - r.idle) / base).toFixed(2)}× the formData() baseline`);
}
