/**
 * Races the engine must win: duplicate and redelivered queue messages, cancel against finish, claim
 * and retry, a redelivery against a message in flight, and resets in the middle of commands.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import type { Taskgroup } from "../src/durable/taskgroup";
import { faults } from "../src/lib/faults";
import { directEngine } from "../src/queues/engine";
import { apiJson, file, newClient, newSink, putConfiguration, putStorage, submit, waitForEnd } from "./support/api";
import { internals, settledInternals, slowTaskgroup, stepRow, waitForDeliveries } from "./support/engine";

const OUTPUT = { key: "k", file_name: "x.bin", content_type: "application/octet-stream", size: 1 };
const post = (c: { auth: Record<string, string> }, path: string) => apiJson(path, { method: "POST", headers: c.auth });

/** Events a callback heard, from the group's own record, in order. */
const eventsOf = (view: any, url: string) => view.deliveries.filter((d: any) => d.url === url).map((d: any) => d.event);

describe("queue messages", () => {
  it("a claim reaches the step Workers as a plain value, with no RPC disposer left on it to forward", async () => {
    // EngineRpc forwards this claim to the image and media Workers. Forwarded with the Durable
    // Object's RPC disposer, it held the call open until they disposed it; the media Worker's
    // queue invocation then never ended once a WASM job's garbage collection had taken it.
    const { c, id } = await slowTaskgroup([{ status: 200, delayMs: 2000 }]);
    const { token, holder } = await stepRow(c, id);
    const claim = await directEngine(env).claim(
      { client: c.name, taskgroupId: id, step: 0, token },
      { messageId: holder!, delivery: 2 },
    );
    expect(claim).toMatchObject({ run: 2 });
    expect(Object.getOwnPropertySymbols(claim)).toEqual([]);
  });

  it("a duplicate message while the step runs is answered busy and acked: the step runs once", async () => {
    const { c, id, source } = await slowTaskgroup([{ status: 200, delayMs: 2000 }, { status: 200 }]);
    const { token } = await stepRow(c, id);
    const batch = createMessageBatch("cascade-steps", [
      {
        id: "duplicate",
        timestamp: new Date(),
        attempts: 1,
        body: { client: c.name, taskgroupId: id, step: 0, token },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["duplicate"]);
    const done = await waitForEnd(c, id);
    expect(done.status).toBe("Succeeded");
    expect(done.steps[0].attempts).toBe(1);
    expect(await source.log()).toHaveLength(1);
    expect((await internals(c, id)).runs.filter((r) => r.idx === 0)).toHaveLength(1);
  });

  it("the same message delivered again after its invocation died takes over at once, and each takeover uses an attempt", async () => {
    const { c, id, stub, source } = await slowTaskgroup([{ status: 200, delayMs: 3000 }]);
    const { token, holder } = await stepRow(c, id);
    const msg = { client: c.name, taskgroupId: id, step: 0, token };
    // The queue redelivers a message whose invocation ended without acking (an isolate killed by
    // its memory or CPU limit): these claims stand in for invocations that die in turn.
    expect(await stub.claimStep(msg, { messageId: holder!, delivery: 2 })).toMatchObject({ run: 2 });
    expect(await stub.claimStep(msg, { messageId: holder!, delivery: 3 })).toMatchObject({ run: 3 });
    expect(await stub.claimStep(msg, { messageId: holder!, delivery: 4 })).toBeNull();
    const done = await waitForEnd(c, id);
    expect(done.status).toBe("Failed");
    expect(done.steps[0]).toMatchObject({ state: "failed", attempts: 3 });
    expect(done.steps[0].error).toMatch(/started 3 times and its Worker stopped each time/);
    // The first run's late report (after 3 s) changes nothing.
    await new Promise((r) => setTimeout(r, 3500));
    expect((await apiJson(`/api/taskgroup/${id}`, { headers: c.auth })).body.steps[0].state).toBe("failed");
    expect(await source.log()).toHaveLength(1);
  });
});

describe("cancel against the runner", () => {
  it("cancel racing finish: one ending, heard once", async () => {
    let hook!: Awaited<ReturnType<typeof newSink>>;
    const { c, id, stub } = await slowTaskgroup([{ status: 200, delayMs: 2000 }], async (c) => {
      hook = await newSink(c.secret);
      return { webhook_url: hook.url };
    });
    const { token, run } = await stepRow(c, id);
    const [, cancel] = await Promise.all([
      stub.finishStep({ client: c.name, taskgroupId: id, step: 0, token }, run, {
        ok: true,
        results: [{}],
        output: OUTPUT,
      }),
      post(c, `/api/taskgroup/${id}/cancel`),
    ]);
    expect(cancel.status).toBe(202);
    expect(cancel.body.status).toBe("Cancelled");
    const view = await waitForDeliveries(c, id);
    expect(view.status).toBe("Cancelled");
    expect(view.deliveries.filter((d: any) => d.event === "job.ended")).toHaveLength(1);
    const [heard] = await hook.waitFor(1);
    expect(JSON.parse(heard.body).status).toBe("Cancelled");
    await new Promise((r) => setTimeout(r, 2500)); // the real run reports late: ignored
    expect((await hook.log()).length).toBe(1);
    expect((await apiJson(`/api/taskgroup/${id}`, { headers: c.auth })).body.status).toBe("Cancelled");
  });

  it("cancel racing a claim: nothing runs after the end, and job.ended is the last event", async () => {
    let events!: Awaited<ReturnType<typeof newSink>>;
    // The input answers 503 once: the step waits 5 s for its retry message, and the race runs in that window.
    const { c, id, stub } = await slowTaskgroup(
      [{ status: 503 }, { status: 200 }],
      async (c) => {
        events = await newSink(c.secret);
        return { callbacks: [{ url: events.url, on_progress: true }] };
      },
      (s) => s.state === "queued" && s.error,
    );
    const { token } = await stepRow(c, id);
    const msg = { client: c.name, taskgroupId: id, step: 0, token };
    const [raced, cancel] = await Promise.all([
      stub.claimStep(msg, { messageId: "racer", delivery: 1 }),
      post(c, `/api/taskgroup/${id}/cancel`),
    ]);
    const claim = raced as { run: number } | "busy" | null;
    expect(cancel.status).toBe(202);
    if (claim && claim !== "busy") await stub.finishStep(msg, claim.run, { ok: true, results: [{}], output: OUTPUT });
    const view = await waitForDeliveries(c, id);
    expect(view.status).toBe("Cancelled");
    expect(view.steps.map((s: any) => s.state)).toEqual(["skipped", "skipped"]);
    const heard = eventsOf(view, events.url);
    expect(heard.filter((e: string) => e === "job.ended")).toHaveLength(1);
    expect(heard[heard.length - 1]).toBe("job.ended");
    await new Promise((r) => setTimeout(r, 5500)); // the scheduled retry message arrives: ignored
    const later = (await apiJson(`/api/taskgroup/${id}`, { headers: c.auth })).body;
    expect(later.steps[0].attempts).toBe(claim && claim !== "busy" ? 2 : 1);
    expect(eventsOf(later, events.url)).toEqual(heard);
  });

  it("cancel racing retry: whichever wins, the group ends once per run, and no step is left queued under an ended group", async () => {
    const c = await newClient("race");
    await putStorage(c, "bad", { secret_access_key: "WRONG" });
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "bad" } });
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("x", "x.bin"));
    const { body } = await submit(c, form);
    expect((await waitForEnd(c, body.task_id)).status).toBe("Failed");
    const [retry, cancel] = await Promise.all([
      post(c, `/api/taskgroup/${body.task_id}/retry`),
      post(c, `/api/taskgroup/${body.task_id}/cancel`),
    ]);
    expect(retry.status).toBe(202);
    const done = await waitForEnd(c, body.task_id);
    expect(["Cancelled", "Failed"]).toContain(done.status);
    if (cancel.status === 202) expect(done.status).toBe("Cancelled");
    else expect([cancel.status, cancel.body.error.code]).toEqual([409, "cannot_cancel"]);
    const inside = await settledInternals(c, body.task_id);
    expect(inside.active).toBe(0);
    const alarm = await runInDurableObject(stub(c, body.task_id), (_: Taskgroup, state) => state.storage.getAlarm());
    // Only retention is left to wake the object: no alarm firing in a loop for a skipped step.
    expect(alarm === null || alarm > Date.now() + 86_400_000).toBe(true);
  });
});

function stub(c: { name: string }, id: string) {
  return env.TASKGROUPS.get(env.TASKGROUPS.idFromName(`${c.name}/${id}`));
}

describe("redelivery", () => {
  it("a dead delivery redelivered while the next is in flight is parked behind it, then gets a fresh schedule", async () => {
    const c = await newClient("redeliver");
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const sink = await newSink(c.secret, [
      { status: 500 },
      { status: 500 },
      { status: 200, delayMs: 3000 },
      { status: 500 },
      { status: 200 },
    ]);
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("x", "x.bin"));
    form.set(
      "callbacks",
      JSON.stringify([{ url: sink.url, on_progress: true, retry: { attempts: 1, interval_s: 1 } }]),
    );
    const { body } = await submit(c, form);
    const id = body.task_id as string;
    await sink.waitFor(3, 20_000); // task.started: 500, 500 (dead); task.succeeded: in flight for 3 s
    let view = (await apiJson(`/api/taskgroup/${id}`, { headers: c.auth })).body;
    const [dead, inFlight] = view.deliveries;
    expect([dead.event, dead.state, inFlight.state]).toEqual(["task.started", "dead", "pending"]);
    const again = await post(c, `/api/taskgroup/${id}/deliveries/${dead.id}/redeliver`);
    expect(again.status).toBe(202);
    view = (await apiJson(`/api/taskgroup/${id}`, { headers: c.auth })).body;
    expect(view.deliveries[0].state).toBe("waiting"); // parked behind the message in flight
    view = await waitForDeliveries(c, id, 30_000);
    expect(view.deliveries.map((d: any) => d.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    // A fresh count: one more failure after the redelivery retried instead of killing it again.
    expect(view.deliveries[0].attempts.map((a: any) => a.status)).toEqual([500, 500, 500, 200]);
    const ids = (await sink.log()).map((h) => h.headers["webhook-id"]);
    expect(ids).toEqual([dead.id, dead.id, inFlight.id, dead.id, dead.id, view.deliveries[2].id]);
  });
});

describe("resets in the middle of commands and submissions", () => {
  it("a reset after cancel commits still answers 202 Cancelled, and the ending is heard once", async () => {
    let hook!: Awaited<ReturnType<typeof newSink>>;
    const { c, id } = await slowTaskgroup([{ status: 200, delayMs: 1500 }], async (c) => {
      hook = await newSink(c.secret);
      return { webhook_url: hook.url };
    });
    faults.arm("reset:cancel", c.name);
    const res = await post(c, `/api/taskgroup/${id}/cancel`);
    expect([res.status, res.body.status]).toEqual([202, "Cancelled"]);
    expect(faults.reset()).toEqual([`reset:cancel|${c.name}`]);
    const view = await waitForDeliveries(c, id);
    expect(view.deliveries.map((d: any) => [d.kind, d.state])).toEqual([["webhook_url", "succeeded"]]);
    expect(await hook.waitFor(1)).toHaveLength(1);
  });

  it("a reset after retry commits still answers 202, and the group runs to the end", async () => {
    const c = await newClient("reset");
    await putStorage(c, "s", { secret_access_key: "WRONG" });
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("x", "x.bin"));
    const { body } = await submit(c, form);
    expect((await waitForEnd(c, body.task_id)).status).toBe("Failed");
    await putStorage(c, "s");
    faults.arm("reset:retry", c.name);
    const res = await post(c, `/api/taskgroup/${body.task_id}/retry`);
    expect([res.status, res.body.status]).toEqual([202, "Running"]);
    expect(faults.reset()).toEqual([`reset:retry|${c.name}`]);
    expect((await waitForEnd(c, body.task_id)).status).toBe("Succeeded");
  });

  it("a reset while a webhook is in flight: its attempt is recorded on the fresh object, and it is sent once", async () => {
    const c = await newClient("reset");
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const hook = await newSink(c.secret, [{ status: 200, delayMs: 2000 }]);
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("x", "x.bin"));
    form.set("webhook_url", hook.url);
    const { body } = await submit(c, form);
    const id = body.task_id as string;
    await hook.waitFor(1); // the final webhook has arrived and is waiting for its answer
    const stub = env.TASKGROUPS.get(env.TASKGROUPS.idFromName(`${c.name}/${id}`));
    await runInDurableObject(stub, (_g: Taskgroup, state) => state.abort("reset while a webhook is in flight")).catch(
      () => undefined,
    );
    const view = await waitForDeliveries(c, id, 30_000);
    expect(view.deliveries.map((d: any) => [d.kind, d.state, d.attempts.map((a: any) => a.status)])).toEqual([
      ["webhook_url", "succeeded", [200]],
    ]);
    expect(await hook.log()).toHaveLength(1);
  });

  it("a submission that failed before its taskgroup was stored is finished by repeating it with the same Idempotency-Key", async () => {
    const c = await newClient("resume");
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("x", "x.bin"));
    faults.arm("rpc:create", c.name, 2); // both tries of the first request
    const first = await submit(c, form, "taskgroup", { "idempotency-key": "resume-1" });
    expect([first.status, first.body.error.code]).toEqual([503, "temporarily_unavailable"]);
    expect(first.res.headers.get("retry-after")).toBe("1");
    const again = await submit(c, form, "taskgroup", { "idempotency-key": "resume-1" });
    expect(again.status).toBe(202);
    const third = await submit(c, form, "taskgroup", { "idempotency-key": "resume-1" });
    expect(third.body.task_id).toBe(again.body.task_id);
    expect((await waitForEnd(c, again.body.task_id)).status).toBe("Succeeded");
    const list = (await apiJson("/api/taskgroup", { headers: c.auth })).body.taskgroups;
    expect(list.map((t: any) => t.task_id)).toEqual([again.body.task_id]);
    faults.reset();
  });
});
