/**
 * The native media server as a process (native/server.mjs), driven as the media Worker drives it:
 * a caller that goes away stops ffmpeg and leaves no files; one job at a time; a job that would not
 * fit the disk is refused before it starts; an upload target that refuses is reported, not retried
 * forever. Inputs come from a plain local HTTP server standing in for the grants' URLs.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeVideo } from "../support/native-ffmpeg";

let server: ChildProcess;
let files: Server;
let base = "";
let filesBase = "";
const work = mkdtempSync(join(tmpdir(), "cascade-native-server-test-"));
const stored = new Map<string, number>();
let clip: Uint8Array;

const listen = (s: Server) =>
  new Promise<number>((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as { port: number }).port)));

/** ffmpeg processes whose working folder is under this test's folder. */
function ffmpegsHere(): number[] {
  const out = spawnSync("pgrep", ["-x", "ffmpeg"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  return out.map(Number).filter((pid) => {
    try {
      return spawnSync("readlink", [`/proc/${pid}/cwd`], { encoding: "utf8" }).stdout.startsWith(work);
    } catch {
      return false;
    }
  });
}

function job(overrides: Record<string, unknown> = {}) {
  return {
    inputs: [{ name: "in.mp4", url: `${filesBase}/clip.mp4`, size: clip.byteLength }],
    args: ["-i", "in.mp4", "-c:v", "libx264", "-preset", "veryslow", "-c:a", "copy", "out.mp4"],
    outputs: [{ match: "out\\.mp4", content_type: "video/mp4" }],
    upload: `${filesBase}/store`,
    seconds: 20,
    ...overrides,
  };
}

beforeAll(async () => {
  clip = await makeVideo({ w: 1280, h: 720, seconds: 20 });
  files = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/clip.mp4") return res.end(clip);
    if (req.method === "PUT" && req.url?.startsWith("/store/")) {
      let n = 0;
      req.on("data", (d) => (n += d.length));
      req.on("end", () => {
        stored.set(req.url!, n);
        res.writeHead(201).end("{}");
      });
      return;
    }
    if (req.method === "PUT" && req.url?.startsWith("/refuse/"))
      return req.resume().on("end", () => res.writeHead(403).end());
    res.writeHead(404).end();
  });
  filesBase = `http://127.0.0.1:${await listen(files)}`;
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((r) => probe.close(r));
  server = spawn("node", ["native/server.mjs"], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", NATIVE_WORK_DIR: work },
    stdio: "ignore",
  });
  base = `http://127.0.0.1:${port}`;
  for (const until = Date.now() + 20_000; ; ) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > until) throw new Error("the native server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  server?.kill("SIGTERM");
  files?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("the native media server", () => {
  it("a caller that goes away mid-job: ffmpeg is stopped, its folder removed, the server free again", async () => {
    const abort = new AbortController();
    const res = await fetch(`${base}/jobs`, {
      method: "POST",
      body: JSON.stringify(job()),
      headers: { "content-type": "application/json" },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    // Wait for ffmpeg's first progress line, then go away.
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(JSON.parse(first.split("\n")[0]!)).toMatchObject({ event: "progress" });
    expect(ffmpegsHere().length).toBe(1);
    // While it runs, a second job is refused: one at a time.
    const busy = await fetch(`${base}/jobs`, { method: "POST", body: JSON.stringify(job()) });
    expect(busy.status).toBe(503);
    abort.abort();
    for (const until = Date.now() + 10_000; ; ) {
      const health = (await (await fetch(`${base}/healthz`)).json()) as { busy: boolean };
      if (!health.busy && ffmpegsHere().length === 0) break;
      if (Date.now() > until) throw new Error(`still busy, ffmpeg ${ffmpegsHere()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(readdirSync(work)).toEqual([]);
    expect(stored.size).toBe(0);
  }, 120_000);

  it("a job that would not fit the free disk is refused before anything is fetched", async () => {
    const res = await fetch(`${base}/jobs`, {
      method: "POST",
      body: JSON.stringify(job({ inputs: [{ name: "in.mp4", url: `${filesBase}/clip.mp4`, size: 2 ** 50 }] })),
    });
    expect(res.status).toBe(507);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("disk_full");
  });

  it("an output the store refuses ends the job with a transfer failure (not retryable), and no files stay", async () => {
    const res = await fetch(`${base}/jobs`, {
      method: "POST",
      body: JSON.stringify(
        job({
          args: ["-i", "in.mp4", "-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "out.mp4"],
          upload: `${filesBase}/refuse`,
        }),
      ),
    });
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({
      event: "error",
      failure: { kind: "native_transfer_failed" },
      retryable: false,
    });
    expect(readdirSync(work)).toEqual([]);
  }, 60_000);

  it("a whole job: the output goes to the store under its rule's name, and the answer says what it moved", async () => {
    const res = await fetch(`${base}/jobs`, {
      method: "POST",
      body: JSON.stringify(
        job({
          args: ["-i", "in.mp4", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "out.mp4"],
          outputs: [{ match: "out\\.mp4", content_type: "video/mp4", as: "clip.mp4" }],
        }),
      ),
    });
    const done = JSON.parse((await res.text()).trim().split("\n").at(-1)!);
    expect(done).toMatchObject({ event: "done", files: [{ name: "clip.mp4", content_type: "video/mp4" }] });
    expect(stored.get("/store/clip.mp4")).toBe(done.files[0].size);
    expect(done.bytes_in).toBe(clip.byteLength);
    expect(readdirSync(work)).toEqual([]);
  }, 60_000);
});
