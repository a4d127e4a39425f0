// A Worker's wrangler.toml as a build or a dev session needs it, written beside the original (so
// every relative path in it still holds) and removed by the caller: without the [[containers]]
// image, which only a real deploy builds (with Docker), and with extra vars (dev: NATIVE_URL).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parse, stringify } from "smol-toml";

/** @param {string} path @param {{ tag: string, vars?: Record<string, string> }} options */
export function derivedConfig(path, { tag, vars = {} }) {
  const config = parse(readFileSync(path, "utf8"));
  delete config.containers;
  config.vars = { ...(config.vars ?? {}), ...vars };
  const out = join(dirname(path), `.${basename(path, ".toml")}.${tag}.toml`);
  writeFileSync(
    out,
    `# Written by scripts/worker-config.mjs from ${basename(path)}; removed after use.\n${stringify(config)}`,
  );
  return { path: out, remove: () => rmSync(out, { force: true }) };
}

/** Whether a configuration has a container image to build. */
export const hasContainers = (path) => Boolean(parse(readFileSync(path, "utf8")).containers?.length);
