import type { Context, MiddlewareHandler } from "hono";
import { tusError } from "../lib/tus";

type Fetch = (req: Request, env: Env, ctx: Context["executionCtx"]) => Response | Promise<Response>;

const OVERRIDES = new Set(["PATCH", "DELETE", "HEAD", "GET"]);

/**
 * tus 1.0 (a MUST): a client behind something that only passes GET and POST sends POST with
 * `X-HTTP-Method-Override`; the request is answered as that method would be, by the whole app
 * (authentication included), through `fetch`.
 */
export const methodOverride =
  (fetch: Fetch): MiddlewareHandler<{ Bindings: Env }> =>
  async (c, next) => {
    const method = c.req.header("x-http-method-override")?.trim().toUpperCase();
    if (c.req.method !== "POST" || !method || method === "POST") return next();
    if (!OVERRIDES.has(method))
      throw tusError(400, "invalid_method_override", "X-HTTP-Method-Override takes PATCH, DELETE, HEAD or GET.");
    const headers = new Headers(c.req.raw.headers);
    headers.delete("x-http-method-override");
    const withBody = method === "PATCH";
    if (!withBody) {
      headers.delete("content-length");
      await c.req.raw.body?.cancel();
    }
    const req = new Request(c.req.url, {
      method,
      headers,
      body: withBody ? c.req.raw.body : null,
      duplex: "half",
    } as RequestInit);
    return fetch(req, c.env, c.executionCtx);
  };
