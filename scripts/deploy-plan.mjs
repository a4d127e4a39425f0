// What `npm run deploy` needs to know about the three Workers, read from their wrangler.toml files:
// which queues and buckets must exist, which secrets the API Worker needs, the order to deploy in,
// and whether the files agree with each other. Pure: scripts/deploy.mjs does the talking.
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";

/** The API Worker first: the image and media Workers bind to its EngineRpc entrypoint. */
export const CONFIGS = ["wrangler.toml", "image/wrangler.toml", "media/wrangler.toml"];

/** Secrets the API Worker reads (local development has them in .dev.vars). */
export const SECRETS = ["ADMIN_TOKEN", "SECRETS_KEY"];

/** The platform's limit on a Worker's size, uncompressed (paid plan: 64 MiB; gzip: 10 MiB is the free plan's). */
export const MAX_WORKER_BYTES = 64 * 1024 * 1024;

export function readConfigs(paths = CONFIGS) {
  return paths.map((path) => ({ path, config: parse(readFileSync(path, "utf8")) }));
}

/** Queues (with their dead-letter queues) and buckets the configurations name, each once. */
export function resources(configs) {
  const queues = new Set();
  const buckets = new Set();
  for (const { config } of configs) {
    for (const p of config.queues?.producers ?? []) queues.add(p.queue);
    for (const c of config.queues?.consumers ?? []) {
      queues.add(c.queue);
      if (c.dead_letter_queue) queues.add(c.dead_letter_queue);
    }
    for (const b of config.r2_buckets ?? []) buckets.add(b.bucket_name);
  }
  return { queues: [...queues].sort(), buckets: [...buckets].sort() };
}

/**
 * What would break once deployed though each file is valid alone: a queue sent to but consumed by
 * no Worker, a dead-letter queue nobody drains, Workers on different buckets, a service binding to a
 * Worker that is not the API Worker, a shared setting with different values.
 */
export function mismatches(configs) {
  const problems = [];
  const [api] = configs;
  const consumed = new Map();
  for (const { path, config } of configs) for (const c of config.queues?.consumers ?? []) consumed.set(c.queue, path);
  for (const { path, config } of configs) {
    for (const p of config.queues?.producers ?? [])
      if (!consumed.has(p.queue)) problems.push(`${path}: queue ${p.queue} is sent to but no Worker consumes it`);
    for (const c of config.queues?.consumers ?? []) {
      if (c.dead_letter_queue && !consumed.has(c.dead_letter_queue))
        problems.push(`${path}: dead-letter queue ${c.dead_letter_queue} has no consumer`);
    }
    for (const s of config.services ?? [])
      if (s.service !== api.config.name)
        problems.push(
          `${path}: service binding ${s.binding} names ${s.service}, not the API Worker ${api.config.name}`,
        );
  }
  const buckets = new Set(
    configs.flatMap(({ config }) => (config.r2_buckets ?? []).map((b) => `${b.binding}=${b.bucket_name}`)),
  );
  if (buckets.size > 1) problems.push(`the Workers disagree on their R2 bucket: ${[...buckets].join(", ")}`);
  for (const { path, config } of configs.slice(1)) {
    for (const [key, value] of Object.entries(config.vars ?? {})) {
      const apiValue = api.config.vars?.[key];
      if (apiValue !== undefined && apiValue !== value)
        problems.push(`${path}: ${key} is ${value}, the API Worker's is ${apiValue}`);
    }
    if (config.compatibility_date !== api.config.compatibility_date)
      problems.push(`${path}: compatibility_date ${config.compatibility_date} differs from the API Worker's`);
  }
  return problems;
}

/** "1.2 MiB"-style sizes for the report. */
export const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
