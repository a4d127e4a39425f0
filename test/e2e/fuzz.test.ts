/**
 * Black-box fuzz tier, `npm run dev`: a seeded sequence of requests (test/e2e/fuzz-cases.ts), a few
 * at a time on keep-alive connections, as real clients send them. Whatever a request holds, the
 * answer is never a 5xx, nor a broken connection. FUZZ_SEED replays a sequence; FUZZ_COUNT sets its
 * length.
 *
 * Nothing is sent twice: every answer counts, wrangler's local proxy's included. That proxy answers
 * 503 "Your worker restarted mid-request" whenever its own request to the Worker fails (it compares
 * the full request URL with the Worker's bare URL, so it takes every failure for a restart), and that
 * request failed when the Worker answered with a request body it had started to read and not
 * finished: workerd then drops the connection. Issue 20: that is what the earlier per-request
 * connections and resends hid; src/lib/body-guard.ts reads such a body to its end (bounded), and the
 * second test here sends the refusals that stop part-way.
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
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

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
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const a = await send(c);
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
        `(${routesHit} method+path pairs), keep-alive: ${JSON.stringify(byClass)}`,
    );
    if (bad.length) console.log(`5xx or reset answers:\n${bad.slice(0, 20).join("\n")}\n${dev.logTail(40)}`);
    expect(bad).toEqual([]);
  }, 600_000);

  it("refusals part-way through a body leave keep-alive connections usable", async () => {
    const auth = { authorization: `Bearer ${DEMO_KEY}` };
    const multipart = (parts: { name: string; filename?: string; value: Buffer }[], close = true) =>
      Buffer.concat([
        ...parts.flatMap((p) => [
          Buffer.from(
            `--fz\r\nContent-Disposition: form-data; name="${p.name}"` +
              (p.filename !== undefined ? `; filename="${p.filename}"\r\nContent-Type: application/octet-stream` : "") +
              "\r\n\r\n",
          ),
          p.value,
          Buffer.from("\r\n"),
        ]),
        Buffer.from(close ? "--fz--\r\n" : ""),
      ]);
    const form = { ...auth, "content-type": "multipart/form-data; boundary=fz" };
    const kinds: FuzzRequest[] = [
      // A field no submission has: refused from its header, the 200 KB after it unread.
      {
        method: "POST",
        path: "/api/taskgroup",
        headers: form,
        body: multipart([
          { name: "nope", value: Buffer.from("x") },
          { name: "cfg_data", filename: "a.png", value: Buffer.alloc(200_000, 7) },
        ]),
        label: "unknown field first",
      },
      // issue 20's case: callbacks twice, once as a file, a file name with a NUL.
      {
        method: "POST",
        path: "/api/taskgroup/",
        headers: form,
        body: multipart([
          { name: "configuration_names", value: Buffer.from('["cfg"]') },
          { name: "callbacks", value: Buffer.from("[]") },
          { name: "callbacks", filename: "a\u0000b", value: Buffer.alloc(3000, 1) },
          { name: "cfg_data", filename: "a.png", value: Buffer.alloc(50_000, 2) },
        ]),
        label: "callbacks twice",
      },
      // A JSON body without Content-Length that crosses the 1 MB limit: refused when the count passes it.
      {
        method: "PUT",
        path: "/api/configurations/big",
        headers: { ...auth, "content-type": "application/json" },
        body: Buffer.from(`{"adapter": "${"x".repeat(1_500_000)}"}`),
        chunked: true,
        label: "chunked JSON over the limit",
      },
      // A method override without a body: the body sent anyway is not the overridden request's.
      {
        method: "POST",
        path: "/api/uploads/00000000-0000-4000-8000-000000000000",
        headers: { ...auth, "x-http-method-override": "DELETE", "tus-resumable": "1.0.0" },
        body: Buffer.alloc(10_000, 3),
        label: "override to DELETE with a body",
      },
      // A well-formed submission naming no stored configuration: refused after its first field.
      {
        method: "POST",
        path: "/api/task",
        headers: form,
        body: multipart([
          { name: "configuration_names", value: Buffer.from('["missing"]') },
          { name: "missing_data", filename: "a.png", value: Buffer.alloc(100_000, 4) },
        ]),
        label: "unknown configuration",
      },
    ];
    const cases = Array.from({ length: 600 }, (_, i) => kinds[i % kinds.length]!);
    const byKind: Record<string, Record<number, number>> = {};
    const bad: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          const a = await send(c);
          byKind[c.label] ??= {};
          const counts = byKind[c.label]!;
          counts[a.status] = (counts[a.status] ?? 0) + 1;
          if (a.status >= 500 || a.status < 0) bad.push(`${a.status} ${c.label}: ${a.body.slice(0, 160)}`);
        }
      }),
    );
    console.log(`part-way refusals, ${cases.length} requests, keep-alive: ${JSON.stringify(byKind)}`);
    if (bad.length) console.log(`5xx or reset answers:\n${bad.slice(0, 20).join("\n")}`);
    expect(bad).toEqual([]);
  }, 300_000);
});
