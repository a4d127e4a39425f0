import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import type { Taskgroup } from "../src/durable/taskgroup";
import { taskgroupStub } from "../src/lib/stubs";
import { apiJson, newClient, newSink, putConfiguration, putStorage, submit, waitForEnd } from "./support/api";
import { slowTaskgroup, stepRow } from "./support/engine";

describe("the watchdog alarm and the queue's edge cases", () => {
  it("re-queues a step whose message was lost; the superseded run's report is ignored", async () => {
    const { c, id } = await slowTaskgroup([{ status: 200, delayMs: 2000 }, { status: 200 }]);
    const before = await stepRow(c, id);
    expect(before.attempts).toBe(1);
    const stub = taskgroupStub(env, c.name, id);
    await runInDurableObject(stub, (_: Taskgroup, state) => {
      state.storage.sql.exec("UPDATE steps SET deadline = ? WHERE idx = 0", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await stepRow(c, id);
    expect(after.token).not.toBe(before.token);
    const done = await waitForEnd(c, id);
    expect(done.status).toBe("Succeeded");
    expect(done.steps[0].attempts).toBe(2);
  });

  it("fails a step that is out of time and attempts; later steps are skipped, nothing stays Running", async () => {
    const { c, id } = await slowTaskgroup([{ status: 200, delayMs: 2000 }]);
    const stub = taskgroupStub(env, c.name, id);
    await runInDurableObject(stub, (_: Taskgroup, state) => {
      state.storage.sql.exec("UPDATE steps SET deadline = ?, seg_attempts = 3 WHERE idx = 0", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const done = await waitForEnd(c, id);
    expect(done.status).toBe("Failed");
    expect(done.steps.map((s: any) => s.state)).toEqual(["failed", "skipped"]);
    expect(done.results[0].result).toBe("The step did not finish within 120 s.");
    // The late report of the abandoned run changes nothing.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await apiJson(`/api/taskgroup/${id}`, { headers: c.auth })).body.steps[0].state).toBe("failed");
  });

  it("a dead-lettered step message fails its step at once", async () => {
    const { c, id } = await slowTaskgroup([{ status: 200, delayMs: 1500 }]);
    const { token } = await stepRow(c, id);
    const batch = createMessageBatch("cascade-steps-dlq", [
      { id: "dlq-1", timestamp: new Date(), attempts: 11, body: { client: c.name, taskgroupId: id, step: 0, token } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dlq-1"]);
    const done = await waitForEnd(c, id);
    expect(done.status).toBe("Failed");
    expect(done.results[0].result).toBe("The step could not be run: its queue message was dead-lettered.");
  });

  it("a redelivered message for a finished step is acknowledged without running it again", async () => {
    const { c, id, source } = await slowTaskgroup([{ status: 200, delayMs: 100 }]);
    const { token } = await stepRow(c, id);
    const done = await waitForEnd(c, id);
    expect(done.status).toBe("Succeeded");
    const batch = createMessageBatch("cascade-steps", [
      { id: "again", timestamp: new Date(), attempts: 2, body: { client: c.name, taskgroupId: id, step: 0, token } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["again"]);
    expect(result.retryMessages).toEqual([]);
    const again = (await apiJson(`/api/taskgroup/${id}`, { headers: c.auth })).body;
    expect(again.steps[0].attempts).toBe(1);
    expect(await source.log()).toHaveLength(1); // the input was fetched once, by the one real run
  });

  it("retries a step that fails for a passing reason, bounded, then fails it with the reason", async () => {
    const c = await newClient("dur");
    await putStorage(c, "down", { endpoint: "http://127.0.0.1:9" });
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "down" } });
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", new File(["x"], "x.txt"));
    const { body } = await submit(c, form);
    const done = await waitForEnd(c, body.task_id, 45_000);
    expect(done.status).toBe("Failed");
    expect(done.steps[0].attempts).toBe(3);
    expect(done.results[0].result).toMatch(
      /^Failed to upload x\.txt to media\/\S+_x\.txt: Could not connect to the endpoint URL: "http:\/\/127\.0\.0\.1:9\/media\/\S+_x\.txt"/,
    );
  });
});

describe("the final webhook", () => {
  it("is retried on the default schedule after 500s; every attempt carries the same webhook-id and verifies", async () => {
    const c = await newClient("hook");
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const sink = await newSink(c.secret, [{ status: 500 }, { status: 500 }, { status: 200 }]);
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", new File(["x"], "x.txt"));
    form.set("webhook_url", sink.url);
    const { body } = await submit(c, form);
    await waitForEnd(c, body.task_id);
    const hits = await sink.waitFor(3, 60_000);
    expect(hits).toHaveLength(3);
    expect(hits.every((h) => h.verified)).toBe(true);
    expect(new Set(hits.map((h) => h.headers["webhook-id"])).size).toBe(1);
    // Default schedule: 5 s, then 30 s.
    expect(hits[1].at - hits[0].at).toBeGreaterThanOrEqual(4_500);
    expect(hits[2].at - hits[1].at).toBeGreaterThanOrEqual(29_500);
    const view = (await apiJson(`/api/taskgroup/${body.task_id}`, { headers: c.auth })).body;
    expect(view.deliveries).toHaveLength(1);
    const d = view.deliveries[0];
    expect(d).toMatchObject({
      id: hits[0].headers["webhook-id"],
      state: "succeeded",
      kind: "webhook_url",
      url: sink.url,
    });
    expect(d.attempts.map((a: any) => a.status)).toEqual([500, 500, 200]);
    expect(d.attempts[0].response).toBe('{"ok":false}');
    expect(d.attempts.every((a: any) => typeof a.latency_ms === "number" && a.error === null)).toBe(true);
  });
});
