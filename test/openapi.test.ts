import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import apiReference from "../docs/api.md?raw";
import { api, apiJson } from "./support/api";

/** Routes that are the documentation itself (or the dashboard page), not API. */
const NOT_API = new Set(["/openapi.json", "/docs", "/", "/dashboard.js"]);

describe("OpenAPI 3.1 document", () => {
  it("covers every route the app serves, with the error shape and the callback bodies", async () => {
    const { status, body: doc } = await apiJson("/openapi.json");
    expect(status).toBe(200);
    expect(doc.openapi).toBe("3.1.0");
    const served = app.routes
      .filter((r) => r.method !== "ALL" && !NOT_API.has(r.path))
      .map((r) => [r.path.replace(/:(\w+)/g, "{$1}"), r.method.toLowerCase()] as const);
    expect(served.length).toBeGreaterThan(25);
    const missing = served.filter(([path, method]) => !doc.paths[path]?.[method]);
    expect(missing).toEqual([]);
    expect(doc.components.schemas.Error).toBeDefined();
    for (const [path, methods] of Object.entries<any>(doc.paths)) {
      if (!path.startsWith("/api/")) continue;
      for (const op of Object.values<any>(methods)) expect(op.responses["401"], path).toBeDefined();
    }
    expect(Object.keys(doc.webhooks).sort()).toEqual(["aurora", "job", "lightflow", "task-event", "vcc"]);
    expect(doc.webhooks.vcc.post.requestBody.content["application/json"].schema.$ref).toBe(
      "#/components/schemas/VccPayload",
    );
  });

  it("/docs renders it offline: server-side HTML, no scripts, nothing from a CDN", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("<code>/api/taskgroup/{id}/cancel</code>");
    expect(page).toContain("webhook: lightflow");
    expect(page).not.toMatch(/<script|https?:\/\/(?!cascade)/i);
  });
});

describe("docs/api.md", () => {
  it("describes every route of /openapi.json, and no route it does not serve", async () => {
    const { body: doc } = await apiJson("/openapi.json");
    const routes = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const documented = [...apiReference.matchAll(/^#{3} `(GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD) ([^`]+)`/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(routes.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((r) => !routes.includes(r))).toEqual([]);
  });
});
