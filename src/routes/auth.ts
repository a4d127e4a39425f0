import type { MiddlewareHandler } from "hono";
import { ApiError } from "../lib/errors";
import { isValidSecretsKey, timingSafeEqualText } from "../lib/crypto";
import { clientStore, directory } from "../lib/stubs";
import { isDev, type AppEnv } from "./app-env";

/** API keys carry their client's name so a bare Bearer key finds its client in one hop: `cas_<client>_<64 hex>`. */
const KEY_PATTERN = /^cas_([a-z0-9][a-z0-9_-]{0,63})_([0-9a-f]{64})$/;

export function parseApiKey(key: string): { client: string; prefix: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { client: m[1]!, prefix: m[2]!.slice(0, 8) } : null;
}

const unauthorized = (message: string) =>
  new ApiError(401, "unauthorized", message, undefined, { "WWW-Authenticate": 'Bearer realm="cascade"' });

/** A deployed Worker without its secrets refuses everything rather than running open. */
export function requireConfigured(env: Env): void {
  if (!env.ADMIN_TOKEN || !env.SECRETS_KEY) {
    throw new ApiError(
      503,
      "not_configured",
      "This Cascade deployment is not configured: set the ADMIN_TOKEN and SECRETS_KEY secrets (wrangler secret put).",
    );
  }
  if (!isValidSecretsKey(env.SECRETS_KEY)) {
    throw new ApiError(
      503,
      "not_configured",
      "SECRETS_KEY is not base64 of 32 bytes: make one with `openssl rand -base64 32` and set it again.",
    );
  }
}

let demoReady = false;

/** Local development has a documented demo client; it is created the first time its key is used. */
async function ensureDemoClient(env: Env, key: string): Promise<void> {
  if (demoReady || !isDev(env) || !env.DEMO_API_KEY || key !== env.DEMO_API_KEY) return;
  const parsed = parseApiKey(key);
  if (!parsed) return;
  await directory(env).register(parsed.client);
  const store = clientStore(env, parsed.client);
  await store.initialize(parsed.client);
  await store.addKey(parsed.prefix, key);
  demoReady = true;
}

/** `Authorization: Bearer <key>` or `client` + `api-key` headers; sets the authenticated client. */
export const clientAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  requireConfigured(c.env);
  const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim();
  const key = bearer ?? c.req.header("api-key")?.trim();
  if (!key) throw unauthorized("Send 'Authorization: Bearer <api-key>', or the 'client' and 'api-key' headers.");
  const parsed = parseApiKey(key);
  const headerClient = c.req.header("client")?.trim();
  if (!parsed || (!bearer && headerClient !== parsed.client))
    throw unauthorized("The API key or client name is wrong.");
  await ensureDemoClient(c.env, key);
  if (!(await clientStore(c.env, parsed.client).verifyKey(parsed.prefix, key))) {
    if ((await directory(c.env).count()) === 0) {
      throw new ApiError(503, "not_configured", "No clients exist yet: create one with POST /api/admin/clients.");
    }
    throw unauthorized("The API key or client name is wrong.");
  }
  c.set("client", parsed.client);
  await next();
};

/** The operator's endpoints take `Authorization: Bearer <ADMIN_TOKEN>`. */
export const adminAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  requireConfigured(c.env);
  const token = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim();
  if (!token || !(await timingSafeEqualText(token, c.env.ADMIN_TOKEN)))
    throw unauthorized("Admin endpoints need 'Authorization: Bearer <ADMIN_TOKEN>'.");
  await next();
};
