#!/usr/bin/env node
// A stand-in for wrangler's account commands (there is no Cloudflare account here): it keeps the
// "account" in a JSON file (FAKE_WRANGLER_STATE) and logs each command that changes it, so a test
// can run `npm run deploy` twice and see what the second run changed. `deploy --dry-run` writes a
// bundle of FAKE_BUNDLE_BYTES (default 1 KiB) into --outdir.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const stateFile = process.env.FAKE_WRANGLER_STATE;
const state = existsSync(stateFile)
  ? JSON.parse(readFileSync(stateFile, "utf8"))
  : { queues: [], buckets: [], secrets: {}, log: [] };
const save = () => writeFileSync(stateFile, JSON.stringify(state, null, 2));
const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const [cmd, sub, third] = args;
const workerName = (config) => /^name = "(.+)"/m.exec(readFileSync(config ?? "wrangler.toml", "utf8"))[1];

if (cmd === "whoami") process.exit(0);
if (cmd === "queues" && sub === "info") process.exit(state.queues.includes(third) ? 0 : 1);
if (cmd === "queues" && sub === "create") {
  state.queues.push(third);
  state.log.push(`queues create ${third}`);
} else if (cmd === "r2" && third === "info") {
  process.exit(state.buckets.includes(args[3]) ? 0 : 1);
} else if (cmd === "r2" && third === "create") {
  state.buckets.push(args[3]);
  state.log.push(`r2 bucket create ${args[3]}`);
} else if (cmd === "secret" && sub === "list") {
  const name = workerName(flag("-c"));
  if (!state.secrets[name]) process.exit(1); // no such Worker yet
  process.stdout.write(JSON.stringify(state.secrets[name].map((n) => ({ name: n, type: "secret_text" }))));
} else if (cmd === "deploy" && args.includes("--dry-run")) {
  const out = flag("--outdir");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "worker.js"), Buffer.alloc(Number(process.env.FAKE_BUNDLE_BYTES ?? 1024), 120));
  process.exit(0);
} else if (cmd === "deploy") {
  const name = workerName(flag("-c"));
  const secretsFile = flag("--secrets-file");
  const secrets = secretsFile ? Object.keys(JSON.parse(readFileSync(secretsFile, "utf8"))) : [];
  state.secrets[name] = [...new Set([...(state.secrets[name] ?? []), ...secrets])];
  state.log.push(`deploy ${name}${secrets.length ? ` with ${secrets.join(",")}` : ""}`);
} else {
  console.error(`fake wrangler: unexpected ${args.join(" ")}`);
  process.exit(2);
}
save();
