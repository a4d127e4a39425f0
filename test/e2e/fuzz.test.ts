/**
 * Black-box fuzz tier, `npm run dev`: a seeded sequence of requests (test/e2e/fuzz-cases.ts), a few
 * at a time. Whatever a request holds, the answer is never a 5xx.
 * FUZZ_SEED replays a sequence; FUZZ_COUNT sets its length.
 *
 * Each request has its own connection (`Connection: close`). Under wrangler dev (4.86) the local
 * proxy in front of the Worker (wrangler's ProxyWorker) sometimes loses its own connection to the
 * Worker while several keep-alive client connections carry requests with bodies: about 1 request in
 * 1,000, a victim that may itself have no body, answered in a few ms without reaching the Worker
 * (nothing in its log). It retries a GET or HEAD silently; any other method gets 503 "Your worker
 * restarted mid-request", because the proxy compares the full request URL with the Worker's bare
 * URL and so always takes the failure for a restart. Measured in issue 20: 3,600 requests, 6 at a
 * time, gave 1-4 such 503s on keep-alive connections, whether or not our Worker read every body
 * before answering; none with a connection per request when the machine was quiet, but 4 in 2,400
 * in CI, with the other black-box suites running beside it. So the tier checks our Worker's
 * answers, not that proxy: a request the proxy answers with its own 503 (its words, which our
 * Worker never uses) is sent once more, and that answer, the Worker's, is the one checked. How
 * many there were is printed.
 */
import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_KEY, startDev } from "./dev-server";
import { EXTRA_ROUTES, fuzzRequest, rng, type FuzzRequest, type Route } from "./fuzz-cases";
import { PORTS } from "./ports";

const { port: PORT, s3Port: S3_PORT } = PORTS.fuzz;
const SEED = Number(process.env.FUZZ_SEED ?? 20);
const COUNT = Number(process.env.FUZZ_COUNT ?? 2400);
const CONCURRENCY = 6;
const agent = new Agent({ keepAlive: false, maxSockets: CONCURRENCY });
/** wrangler's ProxyWorker's answer when it lost its own connection to the Worker. */
const PROXY_503 = "Your worker restarted mid-request";

let dev: Awaited<ReturnType<typeof startDev>>;

beforeAll(async () => {
  dev = await startDev(PORT, S3_PORT);
}, 120_000);

afterAll(() => {
  agent.destroy();
  dev?.stop();
});

interface Answer {
  status: number;
  body: string;
}

function send(req: FuzzRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...req.headers };
    // Node sends DELETE and OPTIONS bodies without framing unless told: chunked must be explicit.
    if (req.body)
      headers[req.chunked ? "transfer-encoding" : "content-length"] = req.chunked ? "chunked" : req.body.length;
    const r = request(
      { host: "127.0.0.1", port: PORT, method: req.method, path: req.path, headers, agent, timeout: 60_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (err) => resolve({ status: -1, body: err.message }));
      },
    );
    r.on("timeout", () => r.destroy(new Error("timed out")));
    // Counted, not thrown: a connection the server broke is a failure of the tier like a 5xx.
    r.on("error", (err: NodeJS.ErrnoException) => resolve({ status: -1, body: `${err.code ?? ""} ${err.message}` }));
    if (req.body) r.end(req.body);
    else r.end();
  });
}

async function routes(): Promise<Route[]> {
  const doc = (await (await fetch(`${dev.base}/openapi.json`)).json()) as { paths: Record<string, object> };
  const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => ["get", "post", "put", "patch", "delete", "head", "options"].includes(m))
      .map((method) => ({ method, path })),
  );
  return [...listed, ...EXTRA_ROUTES];
}

describe("fuzz: malformed requests never get a 5xx", () => {
  it(`${COUNT} seeded requests (seed ${SEED}) over every route and content type`, async () => {
    const auth = { authorization: `Bearer ${DEMO_KEY}` };
    const setup = await fetch(`${dev.base}/api/configurations/cfg`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ adapter: "image-compositor", params: {} }),
    });
    expect(setup.status).toBeLessThan(300);
    const all = await routes();
    const credentials = [
      auth,
      auth,
      auth,
      auth,
      {},
      { authorization: "Bearer dev-admin-token" },
      { authorization: `Bearer cas_ghost_${"0".repeat(64)}` },
      { authorization: "Bearer x" },
    ];
    const r = rng(SEED);
    const cases = Array.from({ length: COUNT }, () => fuzzRequest(r, all, credentials));
    const byClass: Record<string, number> = {};
    const bad: string[] = [];
    let next = 0;
    let proxied = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        let a = await send(c);
        if (a.status === 503 && a.body.startsWith(PROXY_503)) {
          proxied++;
          a = await send(c);
        }
        const cls = a.status < 0 ? "reset" : `${Math.floor(a.status / 100)}xx`;
        byClass[cls] = (byClass[cls] ?? 0) + 1;
        if (a.status >= 500 || a.status < 0) bad.push(`${a.status} ${c.label}: ${a.body.slice(0, 160)}`);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const routesHit = new Set(cases.map((c) => c.label.split(" ").slice(0, 2).join(" "))).size;
    console.log(
      `fuzz seed ${SEED}: ${COUNT} requests in ${((Date.now() - started) / 1000).toFixed(1)} s over ${all.length} routes ` +
        `(${routesHit} method+path pairs): ${JSON.stringify(byClass)}; the local proxy's own 503 ${proxied} times (sent again)`,
    );
    if (bad.length) console.log(`5xx or reset answers:\n${bad.slice(0, 20).join("\n")}\n${dev.logTail(40)}`);
    expect(bad).toEqual([]);
  }, 600_000);
});
