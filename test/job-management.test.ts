import { describe, expect, it } from "vitest";
import { apiJson, file, newClient, newSink, putConfiguration, putStorage, submit, waitForEnd } from "./support/api";

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
    expect((await apiJson(`/api/taskgroup/${body.task_id}/cancel`, { method: "POST", headers: c.auth })).status).toBe(409);

    await putStorage(c, "target"); // the right key now
    const retried = await apiJson(`/api/taskgroup/${body.task_id}/retry`, { method: "POST", headers: c.auth });
    expect([retried.status, retried.body.status]).toEqual([202, "Running"]);
    const done = await waitForEnd(c, body.task_id);
    expect(done.status).toBe("Succeeded");
    expect(done.steps.map((s: any) => [s.state, s.attempts])).toEqual([["succeeded", 1], ["succeeded", 2]]);
    const hooks = await sink.waitFor(2);
    expect(hooks.map((h) => JSON.parse(h.body).status)).toEqual(["Failed", "Succeeded"]);
    expect((await apiJson(`/api/taskgroup/${body.task_id}/retry`, { method: "POST", headers: c.auth })).body.error.code).toBe("cannot_retry");
  });

  it("cancel mid-run: nothing further runs, the late report is ignored, callbacks say Cancelled", async () => {
    const c = await newClient("jm");
    await putStorage(c, "s");
    await putConfiguration(c, "slow", { adapter: "s3-upload", params: { storage: "s" } });
    await putConfiguration(c, "after", { adapter: "s3-upload", params: { storage: "s" } });
    const source = await newSink(c.secret, [{ status: 200, delayMs: 1500 }]);
    const hook = await newSink(c.secret);
    const { body } = await submit(c, {
      configuration_names: ["slow", "after"], slow_url: source.url, after_input: "slow",
      callbacks: [{ url: hook.url, on_success: true, on_failure: true }],
    });
    for (let i = 0; i < 100 && (await apiJson(`/api/taskgroup/${body.task_id}`, { headers: c.auth })).body.steps[0].state !== "running"; i++) {
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
    expect((await apiJson(`/api/taskgroup/${body.task_id}/cancel`, { method: "POST", headers: c.auth })).body.error.code).toBe("cannot_cancel");
    expect((await apiJson(`/api/taskgroup/${body.task_id}/retry`, { method: "POST", headers: c.auth })).status).toBe(409);
    expect((await apiJson("/api/taskgroup?status=Cancelled", { headers: c.auth })).body.taskgroups.map((t: any) => t.task_id)).toEqual([body.task_id]);
  });
});
