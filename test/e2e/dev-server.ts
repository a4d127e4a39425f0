/** Starts `npm run dev`'s script (all Workers under wrangler dev, plus the local S3) for a black-box suite. */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const DEMO_KEY = /DEMO_API_KEY=(.+)/.exec(readFileSync(".dev.vars", "utf8"))![1]!.trim();

export async function startDev(port: number, s3Port: number) {
  const work = mkdtempSync(join(tmpdir(), "cascade-e2e-"));
  const dev = spawn("node", ["scripts/dev.mjs", "--persist-to", join(work, "state")], {
    env: { ...process.env, PORT: String(port), S3_PORT: String(s3Port) },
    stdio: process.env.E2E_DEV_LOG ? "inherit" : "ignore",
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
    stop() {
      if (dev.pid) process.kill(-dev.pid, "SIGTERM");
      rmSync(work, { recursive: true, force: true });
    },
  };
}
