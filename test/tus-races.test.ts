/**
 * tus writes under races: every write is fenced by the lock's token, the lock is renewed while bytes
 * arrive, a tail that does not match its record is not trusted, and a DELETE or an expiry during a
 * PATCH leaves nothing behind. The lock lasts UPLOAD_LOCK_S (3 s in vitest.config.ts, 60 s deployed).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClientStore } from "../src/durable/client-store";
import { clientStore } from "../src/lib/stubs";
import { api, apiJson, newClient } from "./support/api";
import { patternBytes } from "./support/pattern";
import {
  create,
  equalBytes,
  heldBody,
  LOCK_MS,
  lockHolder,
  patch,
  prefixKeys,
  sleep,
  TUS,
  untilHeld,
} from "./support/tus";

const MB = 1024 * 1024;
const idOf = (path: string) => path.split("/").pop()!;

describe("tus writes are fenced by the lock's token", () => {
  it("a PATCH that lost its lock to silence changes nothing when it ends; the one that took over finishes", async () => {
    const c = await newClient("race");
    const path = await create(c, 10);
    const slow = heldBody();
    slow.send(patternBytes(0, 3));
    const first = patch(c, path, 0, slow.stream);
    await untilHeld(c, path);
    await sleep(LOCK_MS + 500); // no byte arrives: the lock lapses
    const data = patternBytes(100, 10);
    const second = await patch(c, path, 0, data);
    expect([second.status, second.headers.get("upload-offset")]).toEqual([204, "10"]);
    slow.send(patternBytes(3, 2));
    slow.end();
    const late = await first;
    expect([late.status, ((await late.json().catch(() => ({}))) as any).error?.code]).toEqual([
      409,
      "upload_lock_lost",
    ]);
    const head = await api(path, { method: "HEAD", headers: { ...c.auth, ...TUS } });
    expect([head.status, head.headers.get("upload-offset"), head.headers.get("upload-expires")]).toEqual([
      200,
      "10",
      null,
    ]);
    const prefix = `clients/${c.name}/uploads/${idOf(path)}/`;
    expect(await prefixKeys(prefix)).toEqual([`${prefix}upload`]);
    const stored = new Uint8Array(await (await env.FILES.get(`${prefix}upload`))!.arrayBuffer());
    expect(equalBytes(stored, data)).toBe(true);
    const after = await patch(c, path, 10, new Uint8Array(0));
    expect([after.status, after.headers.get("upload-offset")]).toEqual([409, "10"]);
  });

  it("the lock is renewed while bytes keep arriving, however slowly", async () => {
    const c = await newClient("race");
    const path = await create(c, 1000);
    const slow = heldBody();
    const first = patch(c, path, 0, slow.stream);
    slow.send(patternBytes(0, 1));
    await untilHeld(c, path);
    let sent = 1;
    const until = Date.now() + 2.5 * LOCK_MS;
    while (Date.now() < until) {
      await sleep(LOCK_MS / 6);
      slow.send(patternBytes(sent, 1));
      sent++;
      expect(await lockHolder(c, path)).toBe("held");
    }
    slow.end();
    const res = await first;
    expect([res.status, res.headers.get("upload-offset")]).toEqual([204, String(sent)]);
    const rest = await patch(c, path, sent, patternBytes(sent, 1000 - sent));
    expect(rest.status).toBe(204);
    const key = `clients/${c.name}/uploads/${idOf(path)}/upload`;
    expect(equalBytes(new Uint8Array(await (await env.FILES.get(key))!.arrayBuffer()), patternBytes(0, 1000))).toBe(
      true,
    );
  });

  it("a tail whose length does not match its record is not used: the upload goes back to its last whole part", async () => {
    const c = await newClient("race");
    const path = await create(c, 6 * MB);
    expect((await patch(c, path, 0, patternBytes(0, 5 * MB + 10))).status).toBe(204);
    const [tail] = (await prefixKeys(`clients/${c.name}/uploads/${idOf(path)}/`)).filter((k) => !k.endsWith("/upload"));
    expect(tail).toBeDefined();
    await env.FILES.put(tail!, patternBytes(5 * MB, 4)); // cut short behind the record's back
    const res = await apiJson(path, {
      method: "PATCH",
      headers: {
        ...c.auth,
        ...TUS,
        "content-type": "application/offset+octet-stream",
        "upload-offset": String(5 * MB + 10),
      },
      body: patternBytes(5 * MB + 10, 5),
    });
    expect([res.status, res.body?.error?.code, res.res.headers.get("upload-offset")]).toEqual([
      409,
      "offset_mismatch",
      String(5 * MB),
    ]);
    const head = await api(path, { method: "HEAD", headers: { ...c.auth, ...TUS } });
    expect(head.headers.get("upload-offset")).toBe(String(5 * MB));
    expect((await patch(c, path, 5 * MB, patternBytes(5 * MB, MB))).status).toBe(204);
    const key = `clients/${c.name}/uploads/${idOf(path)}/upload`;
    const stored = new Uint8Array(await (await env.FILES.get(key))!.arrayBuffer());
    expect(equalBytes(stored, patternBytes(0, 6 * MB))).toBe(true);
  });
});

describe("a DELETE or an expiry during a PATCH", () => {
  it("DELETE while a PATCH writes: 204, the PATCH ends with 404 (not 500), and no object stays", async () => {
    const c = await newClient("race");
    const path = await create(c, 6 * MB);
    const slow = heldBody();
    slow.send(patternBytes(0, 10));
    const first = patch(c, path, 0, slow.stream);
    await untilHeld(c, path);
    expect((await api(path, { method: "DELETE", headers: { ...c.auth, ...TUS } })).status).toBe(204);
    slow.send(patternBytes(10, 5 * MB)); // a whole part after the DELETE
    slow.end();
    const res = await first;
    expect([res.status, ((await res.json().catch(() => ({}))) as any).error?.code]).toEqual([404, "not_found"]);
    expect(await prefixKeys(`clients/${c.name}/uploads/`)).toEqual([]);
  });

  it("expiry while a PATCH writes: the alarm cleans up, the PATCH ends with 404, and its tail is not left behind", async () => {
    const c = await newClient("race");
    const path = await create(c, 1000);
    const slow = heldBody();
    slow.send(patternBytes(0, 10));
    const first = patch(c, path, 0, slow.stream);
    await untilHeld(c, path);
    const store = clientStore(env, c.name);
    await runInDurableObject(store, (_: ClientStore, state) => {
      state.storage.sql.exec("UPDATE uploads SET expires_at = ? WHERE id = ?", Date.now() - 1, idOf(path));
    });
    expect(await runDurableObjectAlarm(store)).toBe(true);
    slow.send(patternBytes(10, 20));
    slow.end();
    const res = await first;
    expect([res.status, ((await res.json().catch(() => ({}))) as any).error?.code]).toEqual([404, "not_found"]);
    expect(await prefixKeys(`clients/${c.name}/uploads/`)).toEqual([]);
  });
});
