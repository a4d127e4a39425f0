// `npm run types`: each Worker's Env from its own wrangler.toml, one file per Worker in types/.
// `npm run types:check` (`--check`): fails when any of them is out of date (`wrangler types --check`).
//
// wrangler 4.86 declares every Worker's bindings in the one global `Cloudflare.Env`, so three
// generated files in one program would merge into one interface holding every Worker's bindings.
// The image and media files are therefore renamed into a namespace of their own after generation
// (two exact replacements, refused if wrangler's output changes shape); `--check` compares the hash
// wrangler wrote in the header, which the renaming leaves alone. Only the API Worker's file carries
// the runtime types (all three Workers share the compatibility date).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const WORKERS = [
  { config: "wrangler.toml", out: "types/api.d.ts", envInterface: "Env" },
  // With the API Worker's config second, ENGINE is typed as its EngineRpc entrypoint.
  { config: "image/wrangler.toml", out: "types/image.d.ts", envInterface: "ImageEnv", namespace: "CascadeImage" },
  { config: "media/wrangler.toml", out: "types/media.d.ts", envInterface: "MediaEnv", namespace: "CascadeMedia" },
];

const check = process.argv.includes("--check");

/** wrangler's output with its own namespace instead of `Cloudflare`, so its interface holds only its Worker's bindings. */
function ownNamespace(text, { out, namespace, envInterface }) {
  const replacements = [
    ["declare namespace Cloudflare {", `declare namespace ${namespace} {`],
    [`interface ${envInterface} extends Cloudflare.Env {}`, `interface ${envInterface} extends ${namespace}.Env {}`],
  ];
  let result = text;
  for (const [from, to] of replacements) {
    if (result.includes(to)) continue;
    if (result.split(from).length !== 2) throw new Error(`${out}: expected one "${from}" in wrangler's output`);
    result = result.replace(from, to);
  }
  if (result.includes("Cloudflare.")) throw new Error(`${out}: still names the Cloudflare namespace`);
  return result;
}

let stale = 0;
for (const w of WORKERS) {
  const args = ["wrangler", "types", "--env-interface", w.envInterface, w.out, "-c", w.config];
  if (w.namespace) args.push("-c", "wrangler.toml", "--include-runtime", "false");
  // The values of vars differ by environment (tests, dev): their type is string; src/lib/config.ts parses them.
  args.push("--strict-vars", "false");
  if (check) args.push("--check");
  try {
    execFileSync("npx", args, { stdio: check ? ["ignore", "pipe", "pipe"] : "inherit" });
    if (w.namespace) {
      const text = readFileSync(w.out, "utf8");
      const renamed = ownNamespace(text, w);
      if (check && renamed !== text) throw new Error(`${w.out} declares its bindings in the Cloudflare namespace`);
      if (!check) writeFileSync(w.out, renamed);
    }
    if (check) console.log(`${w.out}: up to date with ${w.config}`);
  } catch (err) {
    if (!check) throw err;
    stale++;
    const detail = `${err.stdout ?? ""}${err.stderr ?? ""}`.trim() || String(err.message ?? err);
    console.error(`${w.out}: out of date with ${w.config} (run \`npm run types\`)\n${detail}`);
  }
}
if (stale) process.exit(1);
