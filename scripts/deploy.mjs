#!/usr/bin/env node
// `npm run deploy`: checks that the three wrangler.toml files agree, builds every Worker and
// reports its size (failing above the platform's limit), creates what is missing (queues and their
// dead-letter queues, the R2 bucket), sets the API Worker's secrets the first time, and deploys the
// Workers in dependency order. Running it again creates nothing and sets no secret again.
// `npm run deploy -- --dry-run` does the checks and the builds only, with no account (CI runs it).
// WRANGLER names the wrangler command (default: this project's, through npx). Docker is needed for the
// real deploy only, to build the native media server's image.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { gzipSync } from "node:zlib";
import { MAX_WORKER_BYTES, mib, mismatches, readConfigs, resources, SECRETS } from "./deploy-plan.mjs";
import { derivedConfig, hasContainers } from "./worker-config.mjs";

const dryRun = process.argv.includes("--dry-run");
const wrangler = (process.env.WRANGLER ?? "npx wrangler").split(" ");

function run(args, { quiet = false, input } = {}) {
  const r = spawnSync(wrangler[0], [...wrangler.slice(1), ...args], {
    encoding: "utf8",
    input,
    stdio: [input === undefined ? "inherit" : "pipe", "pipe", "pipe"],
  });
  if (!quiet && r.status !== 0) process.stderr.write(r.stdout + r.stderr);
  return { ok: r.status === 0, out: r.stdout ?? "" };
}

function fail(message) {
  console.error(`deploy: ${message}`);
  process.exit(1);
}

const filesIn = (dir) =>
  readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(f).isFile() && !f.endsWith(".map") && !f.endsWith("README.md"));

const configs = readConfigs();
const problems = mismatches(configs);
if (problems.length) fail(`the Workers' configurations disagree:\n  ${problems.join("\n  ")}`);
const { queues, buckets } = resources(configs);
console.log(`configurations agree: ${configs.length} Workers, ${queues.length} queues, bucket ${buckets.join(", ")}`);

// Build each Worker as it would be uploaded, and measure it. A container image is not part of the
// Worker: wrangler builds it with Docker at the real deploy only, so this step needs no Docker.
const out = mkdtempSync(join(tmpdir(), "cascade-deploy-"));
let tooBig = false;
for (const { path, config } of configs) {
  const dir = join(out, config.name);
  const build = derivedConfig(path, { tag: "build" });
  const built = run(["deploy", "--dry-run", "-c", build.path, "--outdir", dir], { quiet: false }).ok;
  build.remove();
  if (!built) fail(`${config.name} did not build`);
  const files = filesIn(dir);
  const raw = files.reduce((n, f) => n + statSync(f).size, 0);
  const gzip = files.reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0);
  const over = raw > MAX_WORKER_BYTES;
  tooBig ||= over;
  console.log(
    `${config.name.padEnd(14)} ${mib(raw).padStart(10)} raw ${mib(gzip).padStart(10)} gzip${over ? `  OVER the ${mib(MAX_WORKER_BYTES)} limit` : ""}`,
  );
}
rmSync(out, { recursive: true, force: true });
if (tooBig) fail(`a Worker is over the platform's ${mib(MAX_WORKER_BYTES)} uncompressed limit`);

if (dryRun) {
  console.log(`dry run: would make sure these exist: queues ${queues.join(", ")}; bucket ${buckets.join(", ")}`);
  console.log(
    `dry run: would set ${SECRETS.join(", ")} on ${configs[0].config.name} if missing, then deploy ${configs.map((c) => c.config.name).join(" → ")}`,
  );
  const images = configs.filter((c) => hasContainers(c.path)).map((c) => c.config.name);
  if (images.length)
    console.log(`dry run: would build and push the container image of ${images.join(", ")} (native/Dockerfile)`);
  process.exit(0);
}

// wrangler builds the native media server's image (native/Dockerfile) with Docker and pushes it.
// DOCKER names the docker command, as WRANGLER names wrangler's.
const docker = process.env.DOCKER ?? "docker";
if (configs.some((c) => hasContainers(c.path)) && spawnSync(docker, ["info"], { stdio: "ignore" }).status !== 0)
  fail(
    "Docker is needed to build the native media server's image (native/Dockerfile): install it and start its engine",
  );

if (!run(["whoami"], { quiet: true }).ok)
  fail("wrangler is not logged in: run `npx wrangler login` (or set CLOUDFLARE_API_TOKEN)");

for (const q of queues) {
  if (run(["queues", "info", q], { quiet: true }).ok) continue;
  console.log(`creating queue ${q}`);
  if (!run(["queues", "create", q]).ok) fail(`could not create queue ${q}`);
}
for (const b of buckets) {
  if (run(["r2", "bucket", "info", b], { quiet: true }).ok) continue;
  console.log(`creating R2 bucket ${b}`);
  if (!run(["r2", "bucket", "create", b]).ok) fail(`could not create bucket ${b}`);
}

// Secrets: only those the API Worker lacks, from the environment, a prompt, or (SECRETS_KEY) made here.
const [api, ...heavy] = configs;
const listed = run(["secret", "list", "--format", "json", "-c", api.path], { quiet: true });
const present = new Set(listed.ok ? JSON.parse(listed.out || "[]").map((s) => s.name) : []);
const missing = SECRETS.filter((s) => !present.has(s));
const values = {};
for (const name of missing) {
  if (process.env[name]) values[name] = process.env[name];
  else if (name === "SECRETS_KEY") values[name] = randomBytes(32).toString("base64");
  else if (process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    let answer;
    // A bearer token (RFC 6750 token68): the Worker refuses to run with anything else.
    do answer = (await rl.question(`${name}, letters, digits, -._~+/ (empty: generate one): `)).trim();
    while (answer && !/^[A-Za-z0-9._~+/-]+=*$/.test(answer));
    values[name] = answer || randomBytes(24).toString("hex");
    rl.close();
  } else {
    values[name] = randomBytes(24).toString("hex");
    console.log(`${name} generated: ${values[name]}  (shown once; keep it)`);
  }
}

const secretsDir = mkdtempSync(join(tmpdir(), "cascade-secrets-"));
try {
  const args = ["deploy", "-c", api.path];
  if (missing.length) {
    const file = join(secretsDir, "secrets.json");
    writeFileSync(file, JSON.stringify(values), { mode: 0o600 });
    args.push("--secrets-file", file);
    console.log(`setting ${missing.join(", ")} on ${api.config.name}`);
  }
  console.log(`deploying ${api.config.name}`);
  if (!run(args).ok) fail(`${api.config.name} did not deploy`);
} finally {
  rmSync(secretsDir, { recursive: true, force: true });
}
for (const { path, config } of heavy) {
  console.log(`deploying ${config.name}`);
  if (!run(["deploy", "-c", path]).ok) fail(`${config.name} did not deploy`);
}
console.log("deployed");
