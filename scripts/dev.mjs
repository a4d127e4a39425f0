#!/usr/bin/env node
// `npm run dev`: the engine (the API, image and media Workers) on http://127.0.0.1:8787 with the demo client ready (.dev.vars),
// plus a local S3-compatible server on http://127.0.0.1:4568 (bucket "demo", keys S3RVER/S3RVER)
// so the README walk-through can upload somewhere real without any cloud account, plus the native
// media server (native/server.mjs, Debian's ffmpeg) as a local process: wrangler dev cannot run
// Cloudflare Containers on these machines, so the media Worker reaches it through NATIVE_URL.
// PORT, S3_PORT and NATIVE_PORT choose the ports (the native server takes a free one by default);
// NATIVE_URL points the media Worker at a native server started elsewhere (the image under Docker)
// instead. Extra arguments go to `wrangler dev`.
import S3rver from "@20minutes/s3rver";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { derivedConfig } from "./worker-config.mjs";

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

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port: free } = /** @type {import("node:net").AddressInfo} */ (probe.address());
      probe.close(() => resolve(free));
    });
  });

/** The native server, started again whenever it exits, as the platform starts a container again. */
function superviseNative(nativePort) {
  let child;
  let stopping = false;
  const start = () => {
    if (stopping) return;
    // Its own process group, so that when it dies its ffmpeg dies with it, as a container's processes do.
    child = spawn("node", ["native/server.mjs"], {
      env: { ...process.env, PORT: String(nativePort), HOST: "127.0.0.1" },
      stdio: "inherit",
      detached: true,
    });
    const group = child.pid;
    child.on("exit", (code, signal) => {
      try {
        process.kill(-group, "SIGKILL");
      } catch {
        // The group is empty already.
      }
      if (stopping) return;
      console.log(`native media server exited (${signal ?? code}); starting it again`);
      setTimeout(start, 200);
    });
  };
  start();
  return () => {
    stopping = true;
    child?.kill("SIGTERM");
  };
}

let nativeUrl = process.env.NATIVE_URL;
let stopNative = () => undefined;
if (!nativeUrl) {
  if (spawnSync("ffmpeg", ["-version"], { stdio: "ignore" }).status === 0) {
    const nativePort = Number(process.env.NATIVE_PORT ?? (await freePort()));
    nativeUrl = `http://127.0.0.1:${nativePort}`;
    stopNative = superviseNative(nativePort);
  } else {
    console.log(
      "native media server not started: no ffmpeg on this machine (Debian: `apt-get install ffmpeg`). " +
        "Everything else runs; video steps above the media Worker's WASM limits are refused.",
    );
  }
}
if (nativeUrl) console.log(`native media server at ${nativeUrl}`);

// The media Worker's configuration with NATIVE_URL, beside the original (wrangler dev passes --var
// to the first Worker only), named by this session's port so two sessions never share one.
const media = derivedConfig("media/wrangler.toml", {
  tag: `dev-${port}`,
  vars: nativeUrl ? { NATIVE_URL: nativeUrl } : {},
});

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
    media.path,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    ...process.argv.slice(2),
  ],
  {
    stdio: "inherit",
    // Miniflare's loopback server keeps idle connections past a long WASM step (dev-keepalive.cjs).
    env: {
      ...process.env,
      NODE_OPTIONS: [
        process.env.NODE_OPTIONS,
        `--require ${JSON.stringify(fileURLToPath(new URL("dev-keepalive.cjs", import.meta.url)))}`,
      ]
        .filter(Boolean)
        .join(" "),
    },
  },
);
const stop = () => {
  stopNative();
  wrangler.kill("SIGTERM");
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", async (code) => {
  media.remove();
  stopNative();
  await s3.close();
  process.exit(code ?? 0);
});
