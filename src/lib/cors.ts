import type { MiddlewareHandler } from "hono";
import { configOf } from "./config";
import { ApiError } from "./errors";

/** What a page may send: the API key's headers, tus's, and the submissions' Idempotency-Key. */
export const CORS_ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "client",
  "api-key",
  "Idempotency-Key",
  "Tus-Resumable",
  "Upload-Length",
  "Upload-Offset",
  "Upload-Metadata",
  "Upload-Defer-Length",
  "Upload-Concat",
  "X-HTTP-Method-Override",
  "X-Requested-With",
].join(", ");

/** What a page may read beyond the CORS-safelisted headers: tus's answers, where things are, and when to retry. */
export const CORS_EXPOSE_HEADERS = [
  "Location",
  "Tus-Resumable",
  "Tus-Version",
  "Tus-Extension",
  "Tus-Max-Size",
  "Upload-Offset",
  "Upload-Length",
  "Upload-Expires",
  "Upload-Metadata",
  "Retry-After",
  "ETag",
].join(", ");

const CORS_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/**
 * The Access-Control-Allow-Origin for `origin` under CORS_ORIGINS (parsed by configOf: "*", or a list
 * of exact origins), or null when that origin is not allowed.
 */
export function allowedOrigin(origin: string | undefined, allowed: "*" | readonly string[]): string | null {
  if (!origin) return null;
  if (allowed === "*") return "*";
  return allowed.includes(origin) ? origin : null;
}

/**
 * CORS for pages on other origins. A preflight is answered here, before authentication (a browser
 * sends no credentials with it); other requests get the allow and expose headers on whatever they
 * answer, errors included, so the page can read them. Credentials (cookies) are never allowed: the
 * API key travels in a header the page holds.
 */
export const cors = (): MiddlewareHandler<{ Bindings: Pick<Env, "CORS_ORIGINS"> }> => async (c, next) => {
  const origin = c.req.header("origin");
  const allowed = allowedOrigin(origin, configOf(c.env).corsOrigins);
  if (c.req.method === "OPTIONS" && origin && c.req.header("access-control-request-method")) {
    if (!allowed)
      throw new ApiError(403, "origin_not_allowed", `Pages on ${origin} may not call this API (CORS_ORIGINS).`);
    return c.body(null, 204, {
      "Access-Control-Allow-Origin": allowed,
      "Access-Control-Allow-Methods": CORS_METHODS,
      "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
      "Access-Control-Max-Age": "86400",
      Vary: "Origin",
    });
  }
  await next();
  if (!allowed) return;
  // A Response built elsewhere (a download) may have immutable headers: copy it to add ours.
  const res = new Response(c.res.body, c.res);
  res.headers.set("Access-Control-Allow-Origin", allowed);
  res.headers.set("Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
  res.headers.set("Vary", "Origin");
  c.res = res;
};
