import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { ApiError, errorResponse } from "../lib/errors";
import { configOf, type ConfigError } from "../lib/config";
import { isValidSecretsKey, timingSafeEqualText } from "../lib/crypto";
import { clientExists, clientStore, directory } from "../lib/stubs";
import { isDev } from "../lib/environment";
import type { AppEnv } from "./app-env";

/** API keys carry their client's name so a bare Bearer key finds its client in one hop: `cas_<client>_<64 hex>`. */
const KEY_PATTERN = /^cas_([a-z0-9][a-z0-9_-]{0,63})_([0-9a-f]{64})$/;

export function parseApiKey(key: string): { client: string; prefix: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { client: m[1]!, prefix: m[2]!.slice(0, 8) } : null;
}

/** RFC 6750's token68: what bearerAuth accepts after "Bearer ". */
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

const unauthorized = (message: string) =>
  new ApiError(401, "unauthorized", message, undefined, { "WWW-Authenticate": 'Bearer realm="cascade"' });

/**
 * An invalid var (wrangler.toml `[vars]`, src/lib/config.ts): the same refusal as a missing secret. The
 * var and its problem go to the log only; the answer says no more than that the deployment is misconfigured.
 */
export function notConfigured(err: ConfigError): ApiError {
  console.error(JSON.stringify({ msg: "invalid configuration", variable: err.variable, problem: err.problem }));
  return new ApiError(
    503,
    "not_configured",
    "This Cascade deployment is not configured: one of its variables is not valid (the Worker's log names it).",
  );
}

/** A deployed Worker without its secrets, or with an invalid var, refuses everything rather than running open. */
export function requireConfigured(env: Env): void {
  // Every var parsed once (memoised per env); a ConfigError is answered by app.onError as notConfigured.
  configOf(env);
  if (!env.ADMIN_TOKEN || !env.SECRETS_KEY) {
    throw new ApiError(
      503,
      "not_configured",
      "This Cascade deployment is not configured: set the ADMIN_TOKEN and SECRETS_KEY secrets (wrangler secret put).",
    );
  }
  if (!BEARER_TOKEN.test(env.ADMIN_TOKEN)) {
    throw new ApiError(
      503,
      "not_configured",
      "ADMIN_TOKEN may hold only letters, digits and - . _ ~ + / (a bearer token): set it again.",
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

/**
 * Hono's bearerAuth for `Authorization: Bearer …`, answering every refusal with our 401 envelope
 * (a malformed header too: the contract's "missing or wrong credentials" are all 401).
 */
function bearer(verifyToken: (token: string, c: Context<AppEnv>) => Promise<boolean>, hint: string) {
  const refuse = (message: string) => () => errorResponse(unauthorized(message));
  return bearerAuth<AppEnv>({
    realm: "cascade",
    verifyToken,
    noAuthenticationHeader: { message: refuse(hint) },
    invalidAuthenticationHeader: { message: refuse(hint) },
    invalidToken: { message: refuse("The API key or client name is wrong.") },
  });
}

/**
 * A client's key, checked against its ClientStore; on success the request belongs to that client.
 * `client` is the header pair's `client` header (it must name the key's client); a Bearer key has none.
 */
async function verifyClientKey(c: Context<AppEnv>, key: string, client?: string): Promise<boolean> {
  const parsed = parseApiKey(key);
  if (!parsed || (client !== undefined && client !== parsed.client)) return false;
  await ensureDemoClient(c.env, key);
  // The Directory first: asking a ClientStore creates it (a SQLite file for any name a stranger
  // sends), so only a client the operator made is ever asked to check a key.
  if (
    !(await clientExists(c.env, parsed.client)) ||
    !(await clientStore(c.env, parsed.client).verifyKey(parsed.prefix, key))
  ) {
    if ((await directory(c.env).count()) === 0) {
      throw new ApiError(503, "not_configured", "No clients exist yet: create one with POST /api/admin/clients.");
    }
    return false;
  }
  c.set("client", parsed.client);
  return true;
}

const clientBearer = bearer(
  (token, c) => verifyClientKey(c, token),
  "Send 'Authorization: Bearer <api-key>', or the 'client' and 'api-key' headers.",
);

/** `Authorization: Bearer <key>`, or the `client` + `api-key` header pair; sets the authenticated client. */
export const clientAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  requireConfigured(c.env);
  const apiKey = c.req.header("api-key")?.trim();
  if (c.req.header("authorization") !== undefined || !apiKey) return clientBearer(c, next);
  if (!(await verifyClientKey(c, apiKey, c.req.header("client")?.trim() ?? "")))
    throw unauthorized("The API key or client name is wrong.");
  await next();
};

const adminBearer = bearer(
  (token, c) => timingSafeEqualText(token, c.env.ADMIN_TOKEN),
  "Admin endpoints need 'Authorization: Bearer <ADMIN_TOKEN>'.",
);

/** The operator's endpoints take `Authorization: Bearer <ADMIN_TOKEN>`. */
export const adminAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  requireConfigured(c.env);
  return adminBearer(c, next);
};
