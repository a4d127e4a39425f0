#!/usr/bin/env node
// `npm run dev`: the engine (the API, image and media Workers) on http://127.0.0.1:8787 with the demo client ready (.dev.vars),
// plus a local S3-compatible server on http://127.0.0.1:4568 (bucket "demo", keys S3RVER/S3RVER)
// so the README walk-through can upload somewhere real without any cloud account.
import S3rver from "@20minutes/s3rver";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";

const s3Port = Number(process.env.S3_PORT ?? 4568);
const port = Number(process.env.PORT ?? 8787);
// S3_DIR: the black-box tests give each dev session its own folder, removed with it.
const directory = process.env.S3_DIR ?? ".wrangler/s3";
mkdirSync(directory, { recursive: true });
const s3 = new S3rver({
  address: "127.0.0.1",
  port: s3Port,
  silent: true,
  directory,
  configureBuckets: [{ name: "demo" }],
});
await s3.run();
console.log(`local S3 (SigV4-checking) on http://127.0.0.1:${s3Port}, bucket "demo", keys S3RVER / S3RVER`);

// All three Workers in one dev session (the API Worker first), sharing queues, R2 and Durable Objects.
const wrangler = spawn(
  "npx",
  [
    "wrangler",
    "dev",
    "-c",
    "wrangler.toml",
    "-c",
    "image/wrangler.toml",
    "-c",
    "media/wrangler.toml",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    ...process.argv.slice(2),
  ],
  {
    stdio: "inherit",
  },
);
const stop = () => wrangler.kill("SIGTERM");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", async (code) => {
  await s3.close();
  process.exit(code ?? 0);
});
