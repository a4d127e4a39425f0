/** The engine's own housekeeping at its edges (issue 20): retry after retention, large deletes, lost messages. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Taskgroup } from "../src/durable/taskgroup";
import { filesOf } from "../src/lib/files";
import { taskgroupStub } from "../src/lib/stubs";
import { apiJson, file, newClient, newSink, putConfiguration, putStorage, submit, waitForEnd } from "./support/api";

describe("retry after retention", () => {
  it("a Failed group whose files retention deleted cannot be retried: 409, nothing runs", async () => {
    const c = await newClient("ret");
    await putStorage(c, "bad", { access_key_id: "AKIAWRONGWRONGWRONG1" });
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "bad" } });
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("x", "x.txt"));
    const { body } = await submit(c, form);
    expect((await waitForEnd(c, body.task_id)).status).toBe("Failed");
    const stub = taskgroupStub(env, c.name, body.task_id);
    await runInDurableObject(stub, (_: Taskgroup, state) => {
      state.storage.sql.exec("UPDATE info SET retention_at = ?", Date.now() - 1);
    });
    await runInDurableObject(stub, async (instance: Taskgroup) => instance.alarm());
    const retry = await apiJson(`/api/taskgroup/${body.task_id}/retry`, { method: "POST", headers: c.auth });
    expect([retry.status, retry.body.error?.code]).toEqual([409, "cannot_retry"]);
    expect(retry.body.error.message).toMatch(/retention has deleted its files/);
    const view = (await apiJson(`/api/taskgroup/${body.task_id}`, { headers: c.auth })).body;
    expect(view.status).toBe("Failed");
  });
});

describe("R2 deletes", () => {
  it("deleting more than 1,000 keys deletes them all (R2 takes 1,000 a call)", async () => {
    const files = filesOf(env, "bulk");
    const keys = Array.from({ length: 1005 }, (_, i) => `clients/bulk/taskgroups/t/inputs/s/${i}`);
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((k) => files.put(k, "x", "text/plain")));
    await files.delete(keys);
    expect((await env.FILES.list({ prefix: "clients/bulk/" })).objects).toEqual([]);
  });
});

describe("the delivery watchdog", () => {
  it("re-sends a delivery nobody claimed under the same token: the original message stays valid", async () => {
    const c = await newClient("dw");
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const sink = await newSink(c.secret);
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("x", "x.txt"));
    form.set("webhook_url", sink.url);
    const { body } = await submit(c, form);
    await waitForEnd(c, body.task_id);
    const stub = taskgroupStub(env, c.name, body.task_id);
    // A pending delivery whose message waits unclaimed past the watchdog's limit (a long backlog).
    const before = await runInDurableObject(stub, (_: Taskgroup, state) => {
      const sql = state.storage.sql;
      sql.exec(
        "UPDATE deliveries SET state = 'pending', token = 'tok-original', holder = NULL, lease_until = NULL, due_at = ?",
        Date.now() - 3_600_000,
      );
      return sql.exec<{ id: number | null }>("SELECT MAX(id) AS id FROM outbox").one().id ?? 0;
    });
    await runInDurableObject(stub, async (instance: Taskgroup, state) => {
      // The watchdog alone, in one transaction: its outbox rows are read before any drain sends them.
      const log = (instance as unknown as { deliveries(): { watch(now: number): void } }).deliveries();
      state.storage.transactionSync(() => log.watch(Date.now()));
      const sends = state.storage.sql
        .exec<{ body: string }>("SELECT body FROM outbox WHERE id > ? AND kind = 'send'", before)
        .toArray()
        .map((r) => JSON.parse(r.body));
      const tokens = state.storage.sql.exec<{ token: string }>("SELECT token FROM deliveries").toArray();
      expect(sends.length).toBeGreaterThan(0);
      expect(sends.map((r) => r.body.token)).toEqual(sends.map(() => "tok-original"));
      expect(tokens.map((t) => t.token)).toEqual(tokens.map(() => "tok-original"));
    });
  });
});
