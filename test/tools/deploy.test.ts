/**
 * `npm run deploy`: the configuration checks on the real wrangler.toml files (and on broken copies),
 * and two runs against a stand-in for wrangler's account commands (no Cloudflare account here):
 * the first creates the queues, the bucket and the secrets and deploys in order; the second
 * creates nothing and sets no secret. `npm run deploy -- --dry-run` with the real wrangler runs in CI.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mismatches, readConfigs, resources } from "../../scripts/deploy-plan.mjs";

const configs = () => readConfigs() as { path: string; config: any }[];

function deploy(stateFile: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = spawnSync("node", ["scripts/deploy.mjs", ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      WRANGLER: `node ${join("test", "tools", "fake-wrangler.mjs")}`,
      FAKE_WRANGLER_STATE: stateFile,
      // The native image is built by the real wrangler with Docker; the stand-in needs neither.
      DOCKER: "true",
      ...env,
    },
  });
  const state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, "utf8")) : { log: [] };
  return { status: r.status, out: r.stdout + r.stderr, state };
}

describe("deploy plan", () => {
  it("finds the repository's three Workers in agreement, with every queue and dead-letter queue", () => {
    expect(mismatches(configs())).toEqual([]);
    const { queues, buckets } = resources(configs());
    expect(buckets).toEqual(["cascade-files"]);
    expect(queues).toEqual([
      "cascade-deliveries",
      "cascade-deliveries-dlq",
      "cascade-image",
      "cascade-image-dlq",
      "cascade-media",
      "cascade-media-dlq",
      "cascade-steps",
      "cascade-steps-dlq",
    ]);
  });

  it("names what would break once deployed", () => {
    const broken = configs();
    broken[1]!.config.r2_buckets[0].bucket_name = "other-files";
    broken[2]!.config.services[0].service = "cascade-old";
    broken[2]!.config.vars.MAX_VIDEO_MB = "80";
    broken[0]!.config.queues.consumers = broken[0]!.config.queues.consumers.filter(
      (c: any) => c.queue !== "cascade-steps-dlq",
    );
    broken[1]!.config.queues.consumers = [];
    expect(mismatches(broken)).toEqual([
      "wrangler.toml: queue cascade-image is sent to but no Worker consumes it",
      "wrangler.toml: dead-letter queue cascade-steps-dlq has no consumer",
      "media/wrangler.toml: service binding ENGINE names cascade-old, not the API Worker cascade",
      "the Workers disagree on their R2 bucket: FILES=cascade-files, FILES=other-files",
      "media/wrangler.toml: MAX_VIDEO_MB is 80, the API Worker's is 4",
    ]);
  });
});

describe("npm run deploy", () => {
  it("creates what is missing and sets the secrets once; a second run changes nothing", () => {
    const state = join(mkdtempSync(join(tmpdir(), "cascade-deploy-test-")), "account.json");
    const first = deploy(state, [], { ADMIN_TOKEN: "from-the-environment" });
    expect(first.status, first.out).toBe(0);
    expect(first.state.log).toEqual([
      ...resources(configs()).queues.map((q: string) => `queues create ${q}`),
      "r2 bucket create cascade-files",
      "deploy cascade with ADMIN_TOKEN,SECRETS_KEY",
      "deploy cascade-image",
      "deploy cascade-media",
    ]);
    const second = deploy(state);
    expect(second.status, second.out).toBe(0);
    expect(second.state.log.slice(first.state.log.length)).toEqual([
      "deploy cascade",
      "deploy cascade-image",
      "deploy cascade-media",
    ]);
    expect(second.out).not.toContain("generated");
  });

  it("prints each Worker's raw and gzip size and refuses one over 64 MiB", () => {
    const state = join(mkdtempSync(join(tmpdir(), "cascade-deploy-test-")), "account.json");
    const small = deploy(state, ["--dry-run"]);
    expect(small.status, small.out).toBe(0);
    expect(small.out).toMatch(/cascade-media\s+0\.00 MiB raw\s+0\.00 MiB gzip/);
    const big = deploy(state, ["--dry-run"], { FAKE_BUNDLE_BYTES: String(65 * 1024 * 1024) });
    expect(big.status).toBe(1);
    expect(big.out).toContain("65.00 MiB raw");
    expect(big.out).toContain("over the platform's 64.00 MiB uncompressed limit");
    expect(big.state.log).toEqual([]);
  });
});
