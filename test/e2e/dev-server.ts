/** Starts `npm run dev`'s script (all Workers under wrangler dev, plus the local S3) for a black-box suite. */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const DEMO_KEY = /DEMO_API_KEY=(.+)/.exec(readFileSync(".dev.vars", "utf8"))![1]!.trim();

/** Resolves if nothing listens on 127.0.0.1:`port`, else fails naming it. */
async function ensureFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", () =>
      reject(new Error(`port ${port} is already in use (another dev server? see test/e2e/ports.ts)`)),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

export async function startDev(port: number, s3Port: number, env: Record<string, string> = {}) {
  await ensureFree(port);
  await ensureFree(s3Port);
  const work = mkdtempSync(join(tmpdir(), "cascade-e2e-"));
  // The dev server's output goes to a file, so a failing test can show what the server saw (logTail).
  const log = join(work, "dev.log");
  const out = process.env.E2E_DEV_LOG ? "inherit" : openSync(log, "a");
  const dev = spawn("node", ["scripts/dev.mjs", "--persist-to", join(work, "state")], {
    env: { ...process.env, PORT: String(port), S3_PORT: String(s3Port), S3_DIR: join(work, "s3"), ...env },
    stdio: ["ignore", out, out],
    detached: true,
  });
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      /* not yet listening */
    }
    if (Date.now() > until) throw new Error("wrangler dev did not come up");
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    work,
    /** Where `npm run dev` started the native media server (it prints it), or null. */
    nativeUrl(): string | null {
      try {
        return /native media server at (http:\S+)/.exec(readFileSync(log, "utf8"))?.[1] ?? null;
      } catch {
        return null;
      }
    },
    /** The last lines the dev server printed (empty with E2E_DEV_LOG, which prints them as they come). */
    logTail(lines = 60): string {
      try {
        return readFileSync(log, "utf8").split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
    stop() {
      if (dev.pid) process.kill(-dev.pid, "SIGTERM");
      rmSync(work, { recursive: true, force: true });
    },
  };
}
