/**
 * Signed output links: callbacks and the status document carry links a receiver can open without
 * an API key (an `<img src>`, a player); they fail once altered, expired, signed with a rotated-out
 * secret, or when retention has deleted the files.
 */
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClientStore } from "../src/durable/client-store";
import type { Taskgroup } from "../src/durable/taskgroup";
import { linkSignature } from "../src/lib/signed-links";
import { clientStore, taskgroupStub } from "../src/lib/stubs";
import {
  api,
  apiJson,
  file,
  newClient,
  newSink,
  putConfiguration,
  putStorage,
  submit,
  waitForEnd,
  type TestClient,
} from "./support/api";

async function finishedTaskgroup(c: TestClient, callbacks: unknown[] = []) {
  await putStorage(c, "s");
  await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
  const form = new FormData();
  form.set("configuration_names", '["up"]');
  form.set("up_data", file("keep me", "k.txt", "text/plain"));
  form.set("callbacks", JSON.stringify(callbacks));
  const { body } = await submit(c, form);
  return { id: body.task_id as string, done: await waitForEnd(c, body.task_id) };
}

const pathOf = (url: string) => url.replace("https://cascade.test", "");

describe("signed links to outputs and inputs", () => {
  it("open without a key, in the status document and in callbacks alike", async () => {
    const c = await newClient("links");
    const sink = await newSink(c.secret);
    const { id, done } = await finishedTaskgroup(c, [{ url: sink.url, format: "lightflow" }]);
    const url: string = done.steps[0].output.url;
    const m = new RegExp(`^https://cascade\\.test/links/${c.name}/${id}/(\\d+)/[0-9a-f]{64}/outputs/up/k\\.txt$`).exec(
      url,
    );
    expect(m, url).not.toBeNull();
    const expires = Number(m![1]);
    expect(expires * 1000 - Date.now()).toBeGreaterThan(6.9 * 86_400_000); // LINK_TTL_S: 7 days
    const res = await api(pathOf(url)); // no Authorization header
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("keep me");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    // LightFlow's thumbnail/asset links are the same signed links.
    const body = JSON.parse((await sink.waitFor(1))[0].body);
    expect(body.assetUrl).toBe(done.results[0].result[0].url);
    // And its inputUrl, for a file sent with the submission, is a signed link to that file.
    expect(body.inputUrl).toBe(url.replace("/outputs/up/", "/inputs/up/"));
    const input = await api(pathOf(body.inputUrl));
    expect([input.status, await input.text()]).toEqual([200, "keep me"]);
    const otherName = await apiJson(pathOf(body.inputUrl).replace("k.txt", "other.txt"));
    expect([otherName.status, otherName.body.error.code]).toEqual([404, "not_found"]);
    // The authenticated route stays.
    expect((await api(`/api/taskgroup/${id}/outputs/up/k.txt`, { headers: c.auth })).status).toBe(200);
    expect((await api(`/api/taskgroup/${id}/outputs/up/k.txt`)).status).toBe(401);
  });

  it("fail once altered, expired, for another group, or signed with a secret rotated out", async () => {
    const c = await newClient("links");
    const { id, done } = await finishedTaskgroup(c);
    const url = new URL(done.steps[0].output.url);
    const at = (expires: string | number, signature: string, group = id) =>
      apiJson(`/links/${c.name}/${group}/${expires}/${signature}/outputs/up/k.txt`);
    const [expires, signature] = url.pathname.split("/").slice(4, 6) as [string, string];

    const flipped = await at(expires, signature.slice(0, -1) + (signature.endsWith("0") ? "1" : "0"));
    expect([flipped.status, flipped.body.error.code]).toEqual([403, "link_invalid"]);
    const later = await at(Number(expires) + 3600, signature); // a longer life is not in the signature
    expect([later.status, later.body.error.code]).toEqual([403, "link_invalid"]);
    const other = await at(expires, signature, crypto.randomUUID());
    expect([other.status, other.body.error.code]).toEqual([403, "link_invalid"]);
    const malformed = await at("soon", signature);
    expect(malformed.status).toBe(400);

    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = await at(past, await linkSignature(env.SECRETS_KEY, c.secret, c.name, id, past));
    expect([expired.status, expired.body.error.code]).toEqual([403, "link_expired"]);

    // Rotation: the old secret's links work through the overlap, and stop when it ends.
    expect((await apiJson("/api/client/webhook-secret/rotate", { method: "POST", headers: c.auth })).status).toBe(200);
    expect((await api(url.pathname)).status).toBe(200);
    await runInDurableObject(clientStore(env, c.name), (_: ClientStore, state) => {
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'previous_secret_until'", String(Date.now() - 1));
    });
    const rotated = await at(expires, signature);
    expect([rotated.status, rotated.body.error.code]).toEqual([403, "link_invalid"]);
  });

  it("cannot be minted by a webhook receiver, nor made to outlive LINK_TTL_S", async () => {
    const c = await newClient("links");
    const { id } = await finishedTaskgroup(c);
    const at = (expires: number, signature: string, client = c.name) =>
      apiJson(`/links/${client}/${id}/${expires}/${signature}/outputs/up/k.txt`);
    // A receiver holds the webhook secret; an HMAC under it alone (the scheme before issue 20) opens nothing.
    const in2100 = Date.UTC(2100, 0, 1) / 1000;
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(c.secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const forged = new Uint8Array(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`/links/${c.name}/${id}\n${in2100}`)),
    );
    const hex = [...forged].map((b) => b.toString(16).padStart(2, "0")).join("");
    const byReceiver = await at(in2100, hex);
    expect([byReceiver.status, byReceiver.body.error.code]).toEqual([403, "link_invalid"]);
    // Even the engine's own key does not make a link that lives longer than LINK_TTL_S (7 days) from now.
    const tooLong = Math.floor(Date.now() / 1000) + 8 * 86_400;
    const long = await at(tooLong, await linkSignature(env.SECRETS_KEY, c.secret, c.name, id, tooLong));
    expect([long.status, long.body.error.code]).toEqual([403, "link_invalid"]);
    const withinTtl = Math.floor(Date.now() / 1000) + 6 * 86_400;
    expect(
      (
        await api(
          `/links/${c.name}/${id}/${withinTtl}/${await linkSignature(env.SECRETS_KEY, c.secret, c.name, id, withinTtl)}/outputs/up/k.txt`,
        )
      ).status,
    ).toBe(200);
  });

  it("for a client that does not exist are refused without creating its client object", async () => {
    await newClient("links");
    const ghost = `ghost-${crypto.randomUUID().slice(0, 8)}`;
    const sig = "0".repeat(64);
    const res = await apiJson(
      `/links/${ghost}/${crypto.randomUUID()}/${Math.floor(Date.now() / 1000) + 60}/${sig}/outputs/up/k.txt`,
    );
    expect([res.status, res.body.error.code]).toEqual([403, "link_invalid"]);
    const ids = (await listDurableObjectIds(env.CLIENTS)).map((i) => i.toString());
    expect(ids).not.toContain(env.CLIENTS.idFromName(ghost).toString());
  });

  it("answer 410 once retention has deleted the files", async () => {
    const c = await newClient("links");
    const { id, done } = await finishedTaskgroup(c);
    const path = pathOf(done.steps[0].output.url);
    expect((await api(path)).status).toBe(200);
    const stub = taskgroupStub(env, c.name, id);
    await runInDurableObject(stub, (_: Taskgroup, state) => {
      state.storage.sql.exec("UPDATE info SET retention_at = ?", Date.now() - 1);
    });
    await runInDurableObject(stub, async (instance: Taskgroup) => instance.alarm());
    for (const p of [path, path.replace("/outputs/", "/inputs/")]) {
      const gone = await apiJson(p);
      expect([gone.status, gone.body.error.code]).toEqual([410, "output_expired"]);
    }
  });
});
