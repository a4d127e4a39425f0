/** A key that does not verify touches no per-client state: no ClientStore is created for its name (issue 20). */
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { apiJson, newClient } from "./support/api";

const hex64 = () =>
  [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");

const clientObjects = async () => new Set((await listDurableObjectIds(env.CLIENTS)).map((id) => id.toString()));

describe("unknown API keys", () => {
  it("well-formed keys of clients that do not exist are refused and create no client object", async () => {
    await newClient("keys"); // at least one client exists, so the refusal is a 401, not not_configured
    const names = Array.from({ length: 20 }, (_, i) => `ghost-${hex64().slice(0, 8)}-${i}`);
    for (const [i, name] of names.entries()) {
      const headers: Record<string, string> =
        i % 2
          ? { authorization: `Bearer cas_${name}_${hex64()}` }
          : { client: name, "api-key": `cas_${name}_${hex64()}` };
      const { status, body } = await apiJson("/api/configurations", { headers });
      expect(status).toBe(401);
      expect(body.error.code).toBe("unauthorized");
    }
    const existing = await clientObjects();
    const created = names.filter((n) => existing.has(env.CLIENTS.idFromName(n).toString()));
    expect(created).toEqual([]);
  });

  it("a known client's key still works, and a wrong key for it is still refused", async () => {
    const c = await newClient("keys");
    expect((await apiJson("/api/client", { headers: c.auth })).status).toBe(200);
    const wrong = `cas_${c.name}_${hex64()}`;
    expect((await apiJson("/api/client", { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
    expect(await clientObjects()).toContain(env.CLIENTS.idFromName(c.name).toString());
  });
});
