#!/usr/bin/env node
// `npm run build:workers` (before `npm test`): the image and media Workers built as `wrangler deploy
// --dry-run` would upload them, into .wrangler/<kind>-build for the test pool. The media Worker's
// container image is not built here: tests reach the native server as a local process.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { derivedConfig } from "./worker-config.mjs";

for (const kind of ["image", "media"]) {
  const config = derivedConfig(`${kind}/wrangler.toml`, { tag: "build" });
  try {
    const r = spawnSync(
      "npx",
      ["wrangler", "deploy", "--dry-run", "-c", config.path, "--outdir", resolve(`.wrangler/${kind}-build`)],
      { stdio: "inherit" },
    );
    if (r.status !== 0) process.exit(r.status ?? 1);
  } finally {
    config.remove();
  }
}
