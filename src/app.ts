import { HTTPException } from "hono/http-exception";
import { ApiError, errorBody } from "./lib/errors";
import { admin } from "./routes/admin";
import { router } from "./routes/app-env";
import { assets } from "./routes/assets";
import { clientAuth } from "./routes/auth";
import { client } from "./routes/client";
import { configurations } from "./routes/configurations";
import { storage } from "./routes/storage";
import { taskgroups } from "./routes/taskgroups";
import { triggers } from "./routes/trigger";

export const app = router();

app.get("/healthz", (c) => c.json({ ok: true }));

app.route("/", admin);
app.use("/api/*", async (c, next) => (c.req.path.startsWith("/api/admin/") ? next() : clientAuth(c, next)));
for (const r of [client, configurations, assets, storage, triggers, taskgroups]) app.route("/", r);

app.doc31("/openapi.json", {
  openapi: "3.1.0",
  info: { title: "Cascade", version: "0.1.0", description: "Media task engine at the edge. Contract: API.md." },
});

app.notFound((c) => c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}.`), 404));

app.onError((err, c) => {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    // Hono's own refusals (e.g. a malformed JSON body caught by a validator).
    const status = err.status;
    const code = status === 400 ? "bad_request" : `http_${status}`;
    return c.json(errorBody(code, err.message || "Bad request."), status as 400);
  }
  console.error(JSON.stringify({ msg: "unhandled error", method: c.req.method, path: c.req.path, error: String(err), stack: (err as Error)?.stack }));
  return c.json(errorBody("internal_error", "Something went wrong on our side; it has been logged."), 500);
});
