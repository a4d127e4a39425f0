import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import {
  ADMIN,
  api,
  apiJson,
  file,
  jsonInit,
  newClient,
  putConfiguration,
  putStorage,
  submit,
  waitForEnd,
} from "./support/api";

describe("authentication", () => {
  it("refuses a missing key with 401, a JSON error and WWW-Authenticate", async () => {
    const { status, body, res } = await apiJson("/api/configurations");
    expect(status).toBe(401);
    expect(body.error.code).toBe("unauthorized");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("refuses a wrong key, a malformed key and a client header that does not match the key", async () => {
    const c = await newClient();
    const wrong = c.key.slice(0, -4) + (c.key.endsWith("0000") ? "1111" : "0000");
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${wrong}` },
      { authorization: "Bearer not-a-key" },
      { client: "someone-else", "api-key": c.key },
      { client: c.name, "api-key": wrong },
      { "api-key": c.key },
      // Malformed headers are missing credentials too: 401, not bearerAuth's default 400.
      { authorization: `Basic ${btoa(`${c.name}:${c.key}`)}` },
      { authorization: "Bearer" },
      { authorization: `Bearer ${c.key} extra` },
      { authorization: `Bearer ${c.key}!` },
    ]) {
      const { status, body, res } = await apiJson("/api/configurations", { headers });
      expect(status, JSON.stringify(headers)).toBe(401);
      expect(body.error.code).toBe("unauthorized");
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="cascade"');
    }
  });

  it("accepts both header styles", async () => {
    const c = await newClient();
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${c.key}` },
      { client: c.name, "api-key": c.key },
    ]) {
      const { status, body } = await apiJson("/api/client", { headers });
      expect(status).toBe(200);
      expect(body).toEqual({ client: c.name, webhook_secret: c.secret });
    }
    expect(c.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
  });

  it("lets the operator add and revoke keys; a revoked key stops working", async () => {
    const c = await newClient();
    const added = await apiJson(`/api/admin/clients/${c.name}/keys`, { method: "POST", headers: ADMIN });
    expect(added.status).toBe(201);
    const second = { authorization: `Bearer ${added.body.api_key}` };
    expect((await api("/api/client", { headers: second })).status).toBe(200);
    const revoked = await api(`/api/admin/clients/${c.name}/keys/${added.body.key_prefix}`, {
      method: "DELETE",
      headers: ADMIN,
    });
    expect(revoked.status).toBe(204);
    expect((await api("/api/client", { headers: second })).status).toBe(401);
    expect((await api("/api/client", { headers: c.auth })).status).toBe(200);
    expect(
      (await api(`/api/admin/clients/${c.name}/keys/${added.body.key_prefix}`, { method: "DELETE", headers: ADMIN }))
        .status,
    ).toBe(404);
  });

  it("guards the admin endpoints and refuses duplicate client names", async () => {
    expect((await apiJson("/api/admin/clients", jsonInit("POST", { name: "x1" }))).status).toBe(401);
    for (const authorization of ["Bearer nope", "Basic nope", "Bearer dev-admin-token x", "Bearer"]) {
      const refused = await apiJson("/api/admin/clients", jsonInit("POST", { name: "x1" }, { authorization }));
      expect(refused.status, authorization).toBe(401);
      expect(refused.body.error.code).toBe("unauthorized");
    }
    const bad = await apiJson("/api/admin/clients", jsonInit("POST", { name: "Bad Name!" }, ADMIN));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_request");
    const c = await newClient();
    const dup = await apiJson("/api/admin/clients", jsonInit("POST", { name: c.name }, ADMIN));
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("client_exists");
    expect((await apiJson("/api/admin/clients/nobody-here/keys", { method: "POST", headers: ADMIN })).status).toBe(404);
  });

  it("rotates the webhook secret", async () => {
    const c = await newClient();
    const { status, body } = await apiJson("/api/client/webhook-secret/rotate", { method: "POST", headers: c.auth });
    expect(status).toBe(200);
    expect(body.webhook_secret).not.toBe(c.secret);
    expect(Date.parse(body.previous_valid_until) - Date.now()).toBeGreaterThan(23.9 * 3600 * 1000);
    expect((await apiJson("/api/client", { headers: c.auth })).body.webhook_secret).toBe(body.webhook_secret);
  });

  it("in local development, the documented demo key works with no set-up", async () => {
    const { status, body } = await apiJson("/api/client", { headers: { authorization: `Bearer ${env.DEMO_API_KEY}` } });
    expect(status).toBe(200);
    expect(body.client).toBe("demo");
  });

  it("a deployment without its secrets refuses every /api call, never runs open", async () => {
    const deployed = { ...env, ENVIRONMENT: "production", ADMIN_TOKEN: "", DEMO_API_KEY: "" };
    for (const [path, headers] of [
      ["/api/configurations", { authorization: `Bearer ${env.DEMO_API_KEY}` }],
      ["/api/admin/clients", { authorization: "Bearer " }],
    ] as const) {
      const res = await app.fetch(new Request(`https://cascade.test${path}`, { headers }), deployed);
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error.code).toBe("not_configured");
    }
    // An ADMIN_TOKEN no bearer header can carry would lock the operator out: refused as configuration.
    const res1 = await app.fetch(
      new Request("https://cascade.test/api/admin/clients", { headers: { authorization: "Bearer x" } }),
      { ...env, ADMIN_TOKEN: "has spaces and !" },
    );
    expect(res1.status).toBe(503);
    expect(((await res1.json()) as any).error.message).toMatch(/ADMIN_TOKEN may hold only/);
    // A key that is set but malformed is refused at once, not first at a storage call with a 500.
    for (const SECRETS_KEY of ["not base64!", btoa("sixteen bytes..!")]) {
      const res = await app.fetch(
        new Request("https://cascade.test/api/storage", { headers: { authorization: `Bearer ${env.DEMO_API_KEY}` } }),
        { ...env, SECRETS_KEY },
      );
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error.message).toMatch(/SECRETS_KEY is not base64 of 32 bytes/);
    }
    // Deployed, the demo key is just an unknown key.
    const res = await app.fetch(
      new Request("https://cascade.test/api/client", {
        headers: { authorization: `Bearer ${env.DEMO_API_KEY.replace("demo", "demo2")}` },
      }),
      { ...env, ENVIRONMENT: "production" },
    );
    expect(res.status).toBe(401);
  });

  it("a var that does not parse refuses like a missing secret: 503 not_configured, the var named only in the log", async () => {
    const demo = { authorization: `Bearer ${env.DEMO_API_KEY}` };
    const admin = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
    for (const [vars, path, init] of [
      [{ RETENTION_DAYS: "thirty" }, "/api/configurations", { headers: demo }],
      [{ MAX_UPLOAD_MB: "" }, "/api/client", { headers: demo }],
      [{ STEP_TIMEOUT_S: "0" }, "/api/admin/clients", { headers: admin }],
      // Met before authentication, by the CORS middleware (a preflight carries no key).
      [
        { CORS_ORIGINS: "app.example" },
        "/api/uploads",
        { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" } },
      ],
    ] as const) {
      const res = await app.fetch(new Request(`https://cascade.test${path}`, init), { ...env, ...vars });
      expect(res.status, `${JSON.stringify(vars)} ${path}`).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text).error.code).toBe("not_configured");
      expect(text).not.toContain(Object.keys(vars)[0]);
    }
  });
});

describe("tenancy", () => {
  it("answers 404 to another client's configuration, asset, storage target, taskgroup and output", async () => {
    const a = await newClient("a");
    const b = await newClient("b");
    await putStorage(a, "a-store");
    await putConfiguration(a, "a-conf", { adapter: "s3-upload", params: { storage: "a-store" } });
    expect((await api("/api/assets/logo.png", { method: "PUT", headers: a.auth, body: "png" })).status).toBe(201);
    const form = new FormData();
    form.set("configuration_names", JSON.stringify(["a-conf"]));
    form.set("a-conf_data", file("hello", "hello.txt", "text/plain"));
    const { body } = await submit(a, form);
    const done = await waitForEnd(a, body.task_id);
    expect(done.status).toBe("Succeeded");

    for (const path of [
      "/api/configurations/a-conf",
      "/api/assets/logo.png",
      "/api/storage/a-store",
      `/api/taskgroup/${body.task_id}`,
      `/api/task/${body.task_id}`,
      `/api/taskgroup/${body.task_id}/outputs/a-conf/hello.txt`,
    ]) {
      const res = await apiJson(path, { headers: b.auth });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe("not_found");
      expect((await api(path, { headers: a.auth })).status, path).toBe(200);
    }
    // B's own lists do not show A's objects, and B cannot run A's configuration.
    expect((await apiJson("/api/configurations", { headers: b.auth })).body.configurations).toEqual([]);
    expect((await apiJson("/api/taskgroup", { headers: b.auth })).body.taskgroups).toEqual([]);
    const f2 = new FormData();
    f2.set("configuration_names", JSON.stringify(["a-conf"]));
    f2.set("a-conf_data", file("x", "x.txt"));
    expect((await submit(b, f2)).status).toBe(404);
    expect((await api("/api/configurations/a-conf", { method: "DELETE", headers: b.auth })).status).toBe(404);
  });
});
