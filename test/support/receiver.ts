/**
 * A real webhook receiver on 127.0.0.1 for tests. Each "sink" has its client's
 * secret and a scripted list of answers; every request is verified with the
 * `standardwebhooks` library and recorded, verified or not.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { frameNode, makeVideo, probeNode } from "./ffmpeg-node";
import { patternBytes } from "./pattern";

const videos = new Map<string, Promise<Uint8Array>>();

/** The .eml files Miniflare's send_email binding wrote (under its temp dirs) that contain `text`. */
function emailsContaining(text: string): string[] {
  const found: string[] = [];
  for (const dir of readdirSync(tmpdir()).filter((d) => d.startsWith("miniflare-"))) {
    const folder = join(tmpdir(), dir, "files", "email");
    let files: string[] = [];
    try {
      files = readdirSync(folder).filter((f) => f.endsWith(".eml"));
    } catch {
      continue;
    }
    for (const f of files) {
      const content = readFileSync(join(folder, f), "utf8");
      if (content.includes(text)) found.push(content);
    }
  }
  return found;
}

export interface SinkAnswer {
  status: number;
  headers?: Record<string, string>;
  /** Never answer (the sender's timeout must fire). */
  hang?: boolean;
  /** Answer only after this long. */
  delayMs?: number;
}

export interface Received {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  verified: boolean;
  verifyError: string | null;
  answered: number | null;
  at: number;
}

interface Sink {
  secret: string;
  script: SinkAnswer[];
  received: Received[];
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startReceiver(): Promise<{ server: Server; port: number; url: string }> {
  const sinks = new Map<string, Sink>();
  const files = new Map<string, Buffer>();
  let next = 0;
  const hanging = new Set<ServerResponse>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const raw = await readBody(req);
    const body = raw.toString("utf8");
    const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(data));
    };
    if (req.method === "POST" && url.pathname === "/sinks") {
      const { secret, script = [] } = JSON.parse(body) as { secret: string; script?: SinkAnswer[] };
      const id = `s${++next}`;
      sinks.set(id, { secret, script, received: [] });
      return send(201, { id });
    }
    // Video fixtures made and outputs decoded by ffmpeg.wasm on the Node side.
    if (req.method === "GET" && url.pathname === "/video") {
      const q = (k: string, d: number) => Number(url.searchParams.get(k) ?? d);
      const key = url.search;
      if (!videos.has(key)) {
        videos.set(
          key,
          makeVideo({
            w: q("w", 320),
            h: q("h", 240),
            d: q("d", 2),
            fps: q("fps", 25),
            audio: url.searchParams.get("audio") !== "0",
            color: url.searchParams.get("color") ?? undefined,
            gop: url.searchParams.has("gop") ? q("gop", 25) : undefined,
            moovAtEnd: url.searchParams.get("moov") === "end",
            noise: url.searchParams.get("noise") === "1",
            switchTo: url.searchParams.has("switch")
              ? { color: url.searchParams.get("switch")!, at: q("switch_at", 0) }
              : undefined,
          }),
        );
      }
      const data = await videos.get(key)!;
      res.writeHead(200, { "content-type": "video/mp4" });
      return res.end(data);
    }
    if (req.method === "POST" && url.pathname === "/probe") return send(200, await probeNode(raw));
    if (req.method === "POST" && url.pathname === "/frame") {
      const f = await frameNode(raw, Number(url.searchParams.get("t") ?? 0));
      return send(200, { width: f.width, height: f.height, rgba: Buffer.from(f.rgba).toString("base64") });
    }
    if (req.method === "GET" && url.pathname === "/emails")
      return send(200, emailsContaining(url.searchParams.get("contains") ?? "\u0000"));
    // Golden images: served from test/fixtures; written only when UPDATE_GOLDEN=1 (then review them by eye).
    const g = /^\/fixtures\/([\w.-]+)$/.exec(url.pathname);
    if (g) {
      const path = join("test", "fixtures", g[1]!);
      if (req.method === "PUT" && process.env.UPDATE_GOLDEN === "1") {
        writeFileSync(path, raw);
        return send(201, { written: path });
      }
      if (req.method === "GET" && existsSync(path)) {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        return res.end(readFileSync(path));
      }
      return send(404, { error: `no fixture ${path}; run the test with UPDATE_GOLDEN=1 once and review it` });
    }
    // Generated bytes for `_url` inputs: /bytes/<n>[/<file name>] streams n bytes (patternBytes) with no
    // Content-Length, so only a count while reading can catch an oversized one.
    const b = /^\/bytes\/(\d+)(\/[^/]*)?$/.exec(url.pathname);
    if (b && req.method === "GET") {
      const total = Number(b[1]);
      res.writeHead(200, { "content-type": "application/octet-stream" });
      for (let at = 0; at < total; at += 65_536) {
        if (!res.write(patternBytes(at, Math.min(65_536, total - at)))) await new Promise((r) => res.once("drain", r));
      }
      return res.end();
    }
    // Redirects, for the outbound rules on every hop: /redirect?to=<url>, /loop (forever), and
    // /bounce/<anything> (any method, like a misconfigured S3 endpoint) to the cloud metadata address.
    if (url.pathname === "/redirect") {
      res.writeHead(302, { location: url.searchParams.get("to") ?? "/" });
      return res.end();
    }
    if (url.pathname === "/loop") {
      res.writeHead(302, { location: "/loop" });
      return res.end();
    }
    if (url.pathname.startsWith("/bounce/")) {
      res.writeHead(307, { location: "http://169.254.169.254/latest/meta-data/" });
      return res.end();
    }
    // Plain files for `{cfg}_url` inputs: PUT stores, GET serves.
    const f = /^\/files\/([\w.-]+)$/.exec(url.pathname);
    if (f && req.method === "PUT") {
      files.set(f[1]!, raw);
      return send(201, { ok: true });
    }
    if (f && req.method === "GET") {
      const data = files.get(f[1]!);
      if (!data) return send(404, { error: "no such file" });
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(data.length) });
      return res.end(data);
    }
    const m = /^\/sinks\/(s\d+)(\/log)?$/.exec(url.pathname);
    const sink = m && sinks.get(m[1]!);
    if (!sink) return send(404, { error: "no such sink" });
    if (m![2]) return send(200, sink.received);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    let verified = false;
    let verifyError: string | null = null;
    try {
      new Webhook(sink.secret).verify(body, headers);
      verified = true;
    } catch (err) {
      verifyError = String((err as Error).message);
    }
    const answer = sink.script[sink.received.length] ?? { status: 200 };
    sink.received.push({
      method: req.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
      verified,
      verifyError,
      answered: answer.hang ? null : answer.status,
      at: Date.now(),
    });
    if (answer.hang) {
      hanging.add(res);
      return;
    }
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    send(answer.status, { ok: answer.status < 300 }, answer.headers);
  });
  server.on("close", () => {
    for (const r of hanging) r.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, port, url: `http://127.0.0.1:${port}` };
}
