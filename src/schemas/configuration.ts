import { z } from "@hono/zod-openapi";
import { adapterSpec, catalog } from "../adapters/catalog";
import { badRequest } from "../lib/errors";
import { freeJsonObject } from "../lib/json-limits";
import type { ChainLink } from "../engine/types";

const link = z
  .object({
    adapter: z.string().describe(`One of: ${Object.keys(catalog).join(", ")}`),
    params: freeJsonObject().default({}),
  })
  .strict();

export const configurationInput = z
  .union([link, z.object({ chain: z.array(link).min(1).max(10) }).strict()])
  .openapi("ConfigurationInput", {
    example: { adapter: "s3-upload", params: { storage: "abc-uploads" } },
  });

export type ConfigurationInput = z.infer<typeof configurationInput>;

export const configurationView = z
  .object({
    name: z.string(),
    adapter: z.string().optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    chain: z.array(link).optional(),
    updated_at: z.string(),
  })
  .openapi("Configuration");

export const chainOf = (cfg: ConfigurationInput): ChainLink[] => ("chain" in cfg ? cfg.chain : [cfg]);

/** Validates each link's params with its adapter's schema; 400 names the link and the field. */
export function validateChain(chain: ChainLink[], what: string): void {
  chain.forEach((l, i) => {
    const where = chain.length > 1 ? `${what} chain[${i}]` : what;
    const adapter = adapterSpec(l.adapter);
    if (!adapter) {
      throw badRequest(
        "unknown_adapter",
        `${where}: unknown adapter '${l.adapter}'. Known: ${Object.keys(catalog).join(", ")}.`,
      );
    }
    const parsed = adapter.params.safeParse(l.params);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((x) => ({ path: x.path.join("."), message: x.message }));
      const first = issues[0]!;
      throw badRequest("invalid_params", `${where} (${l.adapter}): ${first.path || "params"}: ${first.message}`, {
        issues,
      });
    }
  });
}
