/**
 * Engine benchmarks, each against a baseline measured in the same run (bench/baseline-worker.ts):
 *   - orchestration: the gap between a step's end and the next step's start inside a taskgroup
 *     (finish → outbox → queue → claim), p50 and p95, against a bare queue round trip
 *     (send → consumer ran) in a Worker;
 *   - delivery: 1 000 signed callbacks (50 taskgroups × 20 callbacks) to a local receiver that
 *     verifies each signature, against a Worker's plain loop of 1 000 POSTs to the same receiver;
 *   - submission: 100 concurrent 1 MB multipart taskgroups until every one is accepted (202),
 *     against 100 concurrent 1 MB bodies put into R2 by a Worker that does only that. Last: under
 *     this load wrangler dev sometimes restarts the Worker mid-request (such requests are sent again
 *     and counted), and after that its local steps queue may stop consuming (reported, not awaited).
 * Both sides run under wrangler dev on this machine: the ratios compare like with like, the
 * absolute figures are local ones.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";

const DEMO_KEY = /DEMO_API_KEY=(.+)/.exec(readFileSync(".dev.vars", "utf8"))[1].trim();
const auth = { authorization: `Bearer ${DEMO_KEY}` };
const ENGINE_PORT = 8795;
const S3_PORT = 4575;
const BASELINE_PORT = 8796;
const STEPS = 5;
const GROUPS = Number(process.env.BENCH_GROUPS ?? 12);

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start(args, env, base) {
  const work = mkdtempSync(join(tmpdir(), "cascade-bench-engine-"));
  const proc = spawn(args[0], [...args.slice(1), "--persist-to", join(work, "state")], {
    env: { ...process.env, ...env, S3_DIR: join(work, "s3") },
    // BENCH_LOG=1 shows what the servers print.
    stdio: process.env.BENCH_LOG ? "inherit" : "ignore",
    detached: true,
  });
  for (const until = Date.now() + 120_000; ; ) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    if (Date.now() > until) throw new Error(`${args.join(" ")} did not come up`);
    await sleep(300);
  }
  return {
    base,
    stop: () => {
      process.kill(-proc.pid, "SIGTERM");
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Requests wrangler dev had to cut off because it restarted the Worker (it happens under load here). */
let restarts = 0;

async function call(base, path, init = {}) {
  let res = await fetch(`${base}${path}`, init);
  if (res.status === 503 && res.headers.get("content-type")?.startsWith("text/plain")) {
    // wrangler dev's own answer when the runtime restarted mid-request: sent again once, and counted.
    restarts++;
    res = await fetch(`${base}${path}`, init);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
const json = (method, body) => ({
  method,
  headers: { ...auth, "content-type": "application/json" },
  body: JSON.stringify(body),
});

function submission(names, file, extra = {}) {
  const form = new FormData();
  form.set("configuration_names", JSON.stringify(names));
  form.set(`${names[0]}_data`, new File([file], "in.bin", { type: "application/octet-stream" }));
  for (let i = 1; i < names.length; i++) form.set(`${names[i]}_input`, names[i - 1]);
  for (const [k, v] of Object.entries(extra)) form.set(k, v);
  return { method: "POST", headers: auth, body: form };
}

async function waitEnded(engine, id) {
  for (;;) {
    const g = await call(engine.base, `/api/taskgroup/${id}`, { headers: auth });
    if (g.status === "Succeeded") return g;
    if (g.status === "Failed" || g.status === "Cancelled")
      throw new Error(`taskgroup ${id}: ${JSON.stringify(g.steps)}`);
    await sleep(50);
  }
}

/** Waits until the engine's queues are empty (GET /api/system); returns what is left after `ms`. */
async function drained(engine, ms) {
  for (const until = Date.now() + ms; ; ) {
    const s = await call(engine.base, "/api/system", { headers: auth });
    const left = s.queues.reduce((n, q) => n + q.waiting + q.running, 0);
    if (left === 0 || Date.now() > until) return left;
    await sleep(250);
  }
}

/** A local receiver: counts requests, verifying the engine's signatures, and when each arrived. */
async function receiver(secret) {
  const wh = new Webhook(secret);
  const seen = { signed: [], plain: 0, bad: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (req.headers["webhook-id"]) {
        try {
          wh.verify(Buffer.concat(chunks).toString(), req.headers);
          seen.signed.push(Date.now());
        } catch {
          seen.bad++;
        }
      } else seen.plain++;
      res.writeHead(200).end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, seen, close: () => server.close() };
}

export async function engineBench() {
  const engine = await start(
    ["node", "scripts/dev.mjs"],
    { PORT: String(ENGINE_PORT), S3_PORT: String(S3_PORT) },
    `http://127.0.0.1:${ENGINE_PORT}`,
  );
  const baseline = await start(
    [
      "npx",
      "wrangler",
      "dev",
      "-c",
      "bench/baseline.wrangler.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      String(BASELINE_PORT),
      "--show-interactive-dev-session=false",
    ],
    {},
    `http://127.0.0.1:${BASELINE_PORT}`,
  );
  const { webhook_secret } = await call(engine.base, "/api/client", { headers: auth });
  const hooks = await receiver(webhook_secret);
  try {
    await call(
      engine.base,
      "/api/storage",
      json("POST", {
        name: "bench",
        type: "s3",
        endpoint: `http://127.0.0.1:${S3_PORT}`,
        bucket: "demo",
        access_key_id: "S3RVER",
        secret_access_key: "S3RVER",
      }),
    );
    const names = Array.from({ length: STEPS }, (_, i) => `bench-s${i + 1}`);
    for (const n of names)
      await call(
        engine.base,
        `/api/configurations/${n}`,
        json("PUT", {
          adapter: "s3-upload",
          params: { storage: "bench", key_template: "{task_id}/{configuration}/{file_name}" },
        }),
      );

    // Orchestration: step-to-step gaps over GROUPS taskgroups of STEPS tiny uploads (one warm-up group).
    const small = new Uint8Array(1024).fill(7);
    const gaps = [];
    const runs = [];
    for (let g = 0; g <= GROUPS; g++) {
      const { task_id } = await call(engine.base, "/api/taskgroup/", submission(names, small));
      const done = await waitEnded(engine, task_id);
      if (g === 0) continue;
      for (let i = 1; i < done.steps.length; i++)
        gaps.push(Date.parse(done.steps[i].started_at) - Date.parse(done.steps[i - 1].ended_at));
      for (const s of done.steps) runs.push(Date.parse(s.ended_at) - Date.parse(s.started_at));
    }
    await call(baseline.base, "/rt");
    const trips = [];
    for (let i = 0; i < gaps.length; i++) trips.push((await call(baseline.base, "/rt")).ms);
    console.log(
      `Orchestration: ${gaps.length} step-to-step gaps (${GROUPS} taskgroups × ${STEPS} steps of a 1 KB upload)`,
    );
    console.log(
      `  engine  gap p50 ${pct(gaps, 50)} ms, p95 ${pct(gaps, 95)} ms   (a step itself: p50 ${pct(runs, 50)} ms)`,
    );
    console.log(`  baseline: bare queue round trip p50 ${pct(trips, 50)} ms, p95 ${pct(trips, 95)} ms`);
    console.log(`  ratio (p50): ${(pct(gaps, 50) / Math.max(1, pct(trips, 50))).toFixed(2)}×`);

    // Delivery: 50 taskgroups × 20 callbacks, all signed, counted once verified.
    const callbacks = JSON.stringify(
      Array.from({ length: 20 }, () => ({ url: hooks.url, format: "vcc", on_failure: false })),
    );
    const ids = await Promise.all(
      Array.from(
        { length: 50 },
        async () => (await call(engine.base, "/api/taskgroup/", submission([names[0]], small, { callbacks }))).task_id,
      ),
    );
    const ended = await Promise.all(ids.map((id) => waitEnded(engine, id)));
    for (const until = Date.now() + 300_000; hooks.seen.signed.length < 1000 && Date.now() < until; ) await sleep(100);
    const firstEnd = Math.min(...ended.map((g) => Date.parse(g.ended_at)));
    const lastIn = Math.max(...hooks.seen.signed);
    const deliveryMs = lastIn - firstEnd;
    const body = JSON.stringify({ status: "Succeeded", task_id: ids[0], results: ended[0].results });
    const loop = await call(baseline.base, "/fetchloop", {
      method: "POST",
      body: JSON.stringify({ target: hooks.url, n: 1000, body }),
    });
    console.log(
      "Delivery: 1 000 signed callbacks (50 taskgroups × 20), from the first group's end to the last verified arrival",
    );
    console.log(
      `  engine   ${deliveryMs} ms (${((hooks.seen.signed.length * 1000) / deliveryMs).toFixed(0)} deliveries/s; ${hooks.seen.signed.length} verified, ${hooks.seen.bad} bad)`,
    );
    console.log(`  baseline ${loop.ms} ms (${((1000 * 1000) / loop.ms).toFixed(0)} plain POSTs/s from a Worker loop)`);
    console.log(`  ratio: ${(deliveryMs / loop.ms).toFixed(2)}×`);
    // Submission: 100 concurrent 1 MB taskgroups until all are accepted.
    const mb = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 255);
    const t0 = Date.now();
    const accepted = await Promise.all(
      Array.from({ length: 100 }, () => call(engine.base, "/api/taskgroup/", submission([names[0]], mb))),
    );
    const engineMs = Date.now() - t0;
    const t1 = Date.now();
    await Promise.all(Array.from({ length: 100 }, () => call(baseline.base, "/put", { method: "POST", body: mb })));
    const baseMs = Date.now() - t1;
    console.log("Submission: 100 concurrent 1 MB multipart taskgroups until every one is accepted");
    console.log(
      `  engine   ${engineMs} ms (${(100_000 / engineMs).toFixed(1)} taskgroups/s; ${accepted.length} accepted)`,
    );
    console.log(`  baseline ${baseMs} ms (${(100_000 / baseMs).toFixed(1)} bodies/s put into R2 by a bare Worker)`);
    console.log(`  ratio: ${(engineMs / baseMs).toFixed(2)}×`);
    const left = await drained(engine, 120_000);
    if (left)
      console.log(
        `  (${left} steps still queued 120 s later: the local steps queue stopped consuming after wrangler dev restarted the Worker)`,
      );

    if (restarts)
      console.log(`(${restarts} request(s) sent again after wrangler dev restarted the Worker mid-request)`);
  } finally {
    hooks.close();
    engine.stop();
    baseline.stop();
  }
}
