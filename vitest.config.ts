import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { defineConfig, type Plugin } from "vitest/config";

// Small limits so tests reach them quickly; everything else is wrangler.toml + .dev.vars.
// UPLOAD_LOCK_S: a silent tus PATCH loses its lock in 3 s, so the race tests need not wait 60 s.
// CORS_ORIGINS: one allowed origin, so the tests see both an allowed and a refused one.
const testVars = {
  MAX_UPLOAD_MB: "12",
  MAX_FILE_MB: "30",
  STEP_TIMEOUT_S: "120",
  RATE_LIMIT_PER_MINUTE: "150",
  UPLOAD_LOCK_S: "3",
  CORS_ORIGINS: "https://app.example",
};
/** Fonts load as ArrayBuffers in tests too, as wrangler's `Data` rule loads them for the image Worker. */
const fontsAsData: Plugin = {
  name: "fonts-as-data",
  enforce: "pre",
  load(id) {
    if (!id.endsWith(".ttf")) return null;
    const b64 = readFileSync(id).toString("base64");
    return `export default Uint8Array.from(atob(${JSON.stringify(b64)}), (c) => c.charCodeAt(0)).buffer;`;
  },
};

// The pool names the Worker under test after the project; the heavy Workers reach its engine entrypoint there.
const API_WORKER = "vitest-pool-workers-runner-workers";

/**
 * A heavy Worker (image, media) beside the API Worker, as `wrangler deploy --dry-run` built it
 * (npm's pretest), with the bindings its wrangler.toml declares.
 */
function heavyWorker(kind: "image" | "media", vars: Record<string, string> = {}) {
  const queue = `cascade-${kind}`;
  return {
    name: queue,
    modules: true,
    scriptPath: resolve(`.wrangler/${kind}-build/${kind}-worker.js`),
    // wrangler names the bundled ffmpeg module "<hash>-wasm" (from the "@ffmpeg/core/wasm" import).
    modulesRules: [
      { type: "CompiledWasm" as const, include: ["**/*.wasm", "**/*-wasm"] },
      { type: "Data" as const, include: ["**/*.ttf"] },
    ],
    compatibilityDate: "2026-04-20",
    bindings: { ...testVars, ...vars },
    r2Buckets: { FILES: "cascade-files" },
    // As in image/ and media/wrangler.toml: the engine's narrow entrypoint, no Durable Objects, no SECRETS_KEY.
    serviceBindings: { ENGINE: { name: API_WORKER, entrypoint: "EngineRpc" } },
    queueConsumers: {
      [queue]: { maxBatchSize: 1, maxBatchTimeout: 0, maxRetries: 10, deadLetterQueue: `${queue}-dlq` },
      [`${queue}-dlq`]: { maxBatchTimeout: 0 },
    },
  };
}

// Small video limits so tests reach them with small fixtures.
const auxiliaryWorkers = [heavyWorker("image"), heavyWorker("media", { MAX_VIDEO_MB: "1", MAX_VIDEO_SECONDS: "10" })];

/** A project inside workerd with the API Worker's real bindings (R2, Durable Objects, Queues). */
function workerd(name: string, include: string[], withAuxiliaryWorkers: boolean) {
  return {
    plugins: [
      fontsAsData,
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: { bindings: testVars, ...(withAuxiliaryWorkers ? { workers: auxiliaryWorkers } : {}) },
      }),
    ],
    test: {
      name,
      include,
      exclude: ["test/e2e/**", "test/tools/**"],
      globalSetup: ["./test/global-setup.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      // Pure functions, tested beside them: no need to start the 10 MB ffmpeg Worker for each file.
      workerd("unit", ["src/**/*.test.ts"], false),
      // Integration: HTTP in, queues, Durable Objects, the image and media Workers, real S3 and webhook peers.
      workerd("workers", ["test/**/*.test.ts"], true),
      // The repository's scripts (npm run deploy), in Node.
      { test: { name: "tools", include: ["test/tools/**/*.test.ts"], environment: "node", testTimeout: 120_000 } },
      {
        // Black-box: `npm run dev` (wrangler dev) in a child process, driven over HTTP like a user.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
