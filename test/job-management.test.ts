import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { Taskgroup } from "../src/durable/taskgroup";
import { taskgroupStub } from "../src/lib/stubs";
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
} from "./support/api";

describe("cancel and retry", () => {
  it("retry after fixing an S3 credential turns Failed into Succeeded without re-running earlier steps", async () => {
    const c = await newClient("jm");
    await putStorage(c, "good");
    await putStorage(c, "target", { access_key_id: "AKIAWRONGWRONGWRONG1" });
    await putConfiguration(c, "first", { adapter: "s3-upload", params: { storage: "good" } });
    await putConfiguration(c, "second", { adapter: "s3-upload", params: { storage: "target" } });
    const sink = await newSink(c.secret);
    const form = new FormData();
    form.set("configuration_names", '["first","second"]');
    form.set("first_data", file("x", "x.txt"));
    form.set("second_input", "first");
    form.set("webhook_url", sink.url);
    const { body } = await submit(c, form);
    const failed = await waitForEnd(c, body.task_id);
    expect(failed.status).toBe("Failed");
    const taskIds = failed.steps.map((s: any) => s.task_id);
    expect(new Set(taskIds).size).toBe(2);
    expect((await apiJson(`/api/taskgroup/${body.task_id}/cancel`, { method: "POST", headers: c.auth })).status).toBe(
      409,
    );

    await putStorage(c, "target"); // the right key now
    const retried = await apiJson(`/api/taskgroup/${body.task_id}/retry`, { method: "POST", headers: c.auth });
    expect([retried.status, retried.body.status]).toEqual([202, "Running"]);
    const done = await waitForEnd(c, body.task_id);
    expect(done.status).toBe("Succeeded");
    expect(done.steps.map((s: any) => [s.state, s.attempts])).toEqual([
      ["succeeded", 1],
      ["succeeded", 2],
    ]);
    // A retried step keeps its task id: receivers dedupe by it.
    expect(done.steps.map((s: any) => s.task_id)).toEqual(taskIds);
    const hooks = await sink.waitFor(2);
    expect(hooks.map((h) => JSON.parse(h.body).status)).toEqual(["Failed", "Succeeded"]);
    expect(
      (await apiJson(`/api/taskgroup/${body.task_id}/retry`, { method: "POST", headers: c.auth })).body.error.code,
    ).toBe("cannot_retry");
  });

  it("cancel mid-run: nothing further runs, the late report is ignored, callbacks say Cancelled", async () => {
    const c = await newClient("jm");
    await putStorage(c, "s");
    await putConfiguration(c, "slow", { adapter: "s3-upload", params: { storage: "s" } });
    await putConfiguration(c, "after", { adapter: "s3-upload", params: { storage: "s" } });
    const source = await newSink(c.secret, [{ status: 200, delayMs: 1500 }]);
    const hook = await newSink(c.secret);
    const { body } = await submit(c, {
      configuration_names: ["slow", "after"],
      slow_url: source.url,
      after_input: "slow",
      callbacks: [{ url: hook.url, on_success: true, on_failure: true }],
    });
    for (
      let i = 0;
      i < 100 &&
      (await apiJson(`/api/taskgroup/${body.task_id}`, { headers: c.auth })).body.steps[0].state !== "running";
      i++
    ) {
      await new Promise((r) => setTimeout(r, 30));
    }
    const cancelled = await apiJson(`/api/taskgroup/${body.task_id}/cancel`, { method: "POST", headers: c.auth });
    expect([cancelled.status, cancelled.body.status]).toEqual([202, "Cancelled"]);
    const [end] = await hook.waitFor(1);
    expect(JSON.parse(end.body)).toMatchObject({ task_id: body.task_id, status: "Cancelled" });
    await new Promise((r) => setTimeout(r, 2000)); // the abandoned run reports back meanwhile
    const view = (await apiJson(`/api/taskgroup/${body.task_id}`, { headers: c.auth })).body;
    expect(view.status).toBe("Cancelled");
    expect(view.steps.map((s: any) => s.state)).toEqual(["skipped", "skipped"]);
    expect(
      (await apiJson(`/api/taskgroup/${body.task_id}/cancel`, { method: "POST", headers: c.auth })).body.error.code,
    ).toBe("cannot_cancel");
    expect((await apiJson(`/api/taskgroup/${body.task_id}/retry`, { method: "POST", headers: c.auth })).status).toBe(
      409,
    );
    expect(
      (await apiJson("/api/taskgroup?status=Cancelled", { headers: c.auth })).body.taskgroups.map(
        (t: any) => t.task_id,
      ),
    ).toEqual([body.task_id]);
  });
});

describe("listing, rate limits and retention", () => {
  it("pages through 120 taskgroups newest first, each exactly once", async () => {
    const c = await newClient("page");
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const created = new Set<string>();
    for (let i = 0; i < 120; i++) {
      const res = await submit(c, {
        configuration_names: ["up"],
        up_url: `${inject("receiverUrl")}/files/missing-${i}.bin`,
      });
      expect(res.status).toBe(202);
      created.add(res.body.task_id);
    }
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await apiJson(`/api/taskgroup?limit=25${cursor ? `&cursor=${cursor}` : ""}`, {
        headers: c.auth,
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.taskgroups);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(120);
    expect(new Set(seen.map((t) => t.task_id))).toEqual(created);
    const order = seen.map((t) => `${t.created_at}|${t.task_id}`);
    expect([...order].sort().reverse()).toEqual(order);
  });

  it("answers 429 with Retry-After past the per-minute trigger limit, per client", async () => {
    const c = await newClient("rate");
    const other = await newClient("rate");
    const bad = { method: "POST", headers: { ...c.auth, "content-type": "text/plain" }, body: "x" };
    for (let i = 0; i < 150; i++) expect((await api("/api/taskgroup/", bad)).status).toBe(415);
    const limited = await apiJson("/api/task/", bad);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    const after = Number(limited.res.headers.get("retry-after"));
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThanOrEqual(60);
    expect(
      (await api("/api/taskgroup/", { ...bad, headers: { ...other.auth, "content-type": "text/plain" } })).status,
    ).toBe(415);
    expect((await api("/api/taskgroup", { headers: c.auth })).status).toBe(200); // reads are not limited
  });

  it("deletes a taskgroup's files when its retention ends; downloads then answer 410", async () => {
    const c = await newClient("keep");
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("keep me", "k.txt", "text/plain"));
    const { body } = await submit(c, form);
    const done = await waitForEnd(c, body.task_id);
    expect(Date.parse(done.files_expire_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const path = done.steps[0].output.url.replace("https://cascade.test", "");
    expect((await api(path, { headers: c.auth })).status).toBe(200);
    const stub = taskgroupStub(env, c.name, body.task_id);
    await runInDurableObject(stub, (_: Taskgroup, state) => {
      state.storage.sql.exec("UPDATE info SET retention_at = ?", Date.now() - 1);
    });
    await runInDurableObject(stub, async (instance: Taskgroup) => instance.alarm());
    const listed = await env.FILES.list({ prefix: `clients/${c.name}/taskgroups/${body.task_id}/` });
    expect(listed.objects).toEqual([]);
    const gone = await apiJson(path, { headers: c.auth });
    expect([gone.status, gone.body.error.code]).toEqual([410, "output_expired"]);
    const view = (await apiJson(`/api/taskgroup/${body.task_id}`, { headers: c.auth })).body;
    expect(view.status).toBe("Succeeded");
    expect(view.files_deleted_at).not.toBeNull();
  });
});
