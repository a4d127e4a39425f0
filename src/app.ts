import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { DOC_CONFIG, renderDocs } from "./routes/docs";
import { DASHBOARD_HTML } from "./dashboard/page";
import { DASHBOARD_JS } from "./dashboard/script";
import { webhookDocs } from "./schemas/callback-bodies";
import { cors } from "./lib/cors";
import { ConfigError } from "./lib/config";
import { ApiError, errorBody, errorResponse } from "./lib/errors";
import { isTransient } from "./lib/retry";
import { mediaType } from "./lib/uploads";
import { MAX_JSON_BODY_BYTES } from "./lib/json-limits";
import { admin } from "./routes/admin";
import { router } from "./routes/app-env";
import { assets } from "./routes/assets";
import { clientAuth, notConfigured } from "./routes/auth";
import { client } from "./routes/client";
import { configurations } from "./routes/configurations";
import { files } from "./routes/files";
import { links } from "./routes/links";
import { methodOverride } from "./routes/method-override";
import { storage } from "./routes/storage";
import { system } from "./routes/system";
import { taskgroups } from "./routes/taskgroups";
import { triggers } from "./routes/trigger";
import { uploads } from "./routes/uploads";

export const app = router();

app.openapi(
  createRoute({
    method: "get",
    path: "/healthz",
    tags: ["operations"],
    responses: {
      200: { description: "Alive", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } },
    },
  }),
  (c) => c.json({ ok: true }, 200),
);

app.route("/", admin);
app.route("/", links);
app.route("/", files);
// Pages on other origins (tus uploads, submissions): preflights answered here, before authentication.
app.use("/api/*", cors());
app.use(
  "/api/uploads/*",
  methodOverride((req, env, ctx) => app.fetch(req, env, ctx)),
);
// OPTIONS carries no credentials: tus's discovery answers without a key, and other paths have no OPTIONS route.
app.use("/api/*", async (c, next) =>
  c.req.path.startsWith("/api/admin/") || c.req.method === "OPTIONS" ? next() : clientAuth(c, next),
);
const jsonBodyLimit = bodyLimit({
  maxSize: MAX_JSON_BODY_BYTES,
  onError: () => {
    throw new ApiError(
      413,
      "payload_too_large",
      `The JSON body is larger than the ${MAX_JSON_BODY_BYTES / 1024 / 1024} MB limit.`,
      { limit_bytes: MAX_JSON_BODY_BYTES },
    );
  },
});
app.use("/api/*", (c, next) =>
  /^application\/([\w.-]+\+)?json$/.test(mediaType(c.req.raw)) ? jsonBodyLimit(c, next) : next(),
);
for (const r of [client, configurations, assets, storage, uploads, triggers, taskgroups, system]) app.route("/", r);

for (const hook of webhookDocs) {
  app.openAPIRegistry.registerWebhook({
    method: "post",
    path: hook.name,
    description: hook.description,
    request: { headers: hook.headers, body: { content: { "application/json": { schema: hook.schema } } } },
    responses: {
      200: { description: "Any 2xx ends the delivery; anything else is retried on the schedule (410 stops it)." },
    },
  });
}
app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
  type: "http",
  scheme: "bearer",
  description: "Authorization: Bearer <api-key> (or the client + api-key headers)",
});
app.doc31("/openapi.json", DOC_CONFIG);
app.get("/docs", (c) => c.html(renderDocs(app.getOpenAPI31Document(DOC_CONFIG) as never)));

// The dashboard: a static page and script; all data comes from the JSON API with the tab's key.
const DASHBOARD_CSP =
  "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'unsafe-inline'; frame-ancestors 'none'";
app.get("/", (c) => c.html(DASHBOARD_HTML, 200, { "content-security-policy": DASHBOARD_CSP }));
app.get("/dashboard.js", (c) =>
  c.body(DASHBOARD_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }),
);

app.notFound((c) => c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}.`), 404));

app.onError((err, c) => {
  if (err instanceof ApiError) return errorResponse(err);
  // An invalid var, met wherever a route or middleware first parses the vars (src/lib/config.ts).
  if (err instanceof ConfigError) return errorResponse(notConfigured(err));
  // A refusal that carries its own response (bearerAuth's, built from our envelope).
  if (err instanceof HTTPException && err.res) return err.getResponse();
  if (err instanceof HTTPException) {
    // Hono's own refusals (e.g. a malformed JSON body caught by a validator).
    const status = err.status;
    const code = status === 400 ? "bad_request" : `http_${status}`;
    return c.json(errorBody(code, err.message || "Bad request."), status as 400);
  }
  if (isTransient(err)) {
    // A Durable Object reset or overloaded under this request: nothing was lost, and a repeat works.
    console.warn(
      JSON.stringify({ msg: "transient error", method: c.req.method, path: c.req.path, error: String(err) }),
    );
    return c.json(
      errorBody("temporarily_unavailable", "The service was briefly unavailable; repeat the request."),
      503,
      { "Retry-After": "1" },
    );
  }
  console.error(
    JSON.stringify({
      msg: "unhandled error",
      method: c.req.method,
      path: c.req.path,
      error: String(err),
      stack: (err as Error)?.stack,
    }),
  );
  return c.json(errorBody("internal_error", "Something went wrong on our side; it has been logged."), 500);
});
