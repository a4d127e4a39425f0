import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // Inside workerd, with the Worker's real bindings (R2, Durable Objects, Queues).
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // Small limits so tests reach them quickly; everything else is wrangler.toml + .dev.vars.
            miniflare: { bindings: { MAX_UPLOAD_MB: "12", STEP_TIMEOUT_S: "20" } },
          }),
        ],
        test: {
          name: "workers",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          globalSetup: ["./test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Black-box: `npm run dev` (wrangler dev) in a child process, driven over HTTP like a user.
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], environment: "node", testTimeout: 120_000, hookTimeout: 120_000 },
      },
    ],
  },
});
