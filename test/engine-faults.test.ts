/**
 * The fault tier: at every external call inside the engine's transitions (queue sends, RPCs, R2)
 * one failure is injected, and at every commit point the object is reset before its effects go
 * out. Each taskgroup must still end, every message go out once per webhook-id, no step run twice
 * at the same time, and nothing stay pending.
 */
import { afterAll, describe, expect, it } from "vitest";
import { faults } from "../src/lib/faults";
import { file, newClient, newSink, putConfiguration, putStorage, submit, waitForEnd } from "./support/api";
import { expectNoOverlap, s3Keys, settledInternals, waitForDeliveries } from "./support/engine";

/** Every point a fault is injected at, in the order a taskgroup meets them. */
const POINTS = [
  "r2:put_input", // storing the upload (the client repeats with its Idempotency-Key, as the 503 says)
  "rpc:create",
  "reset:create",
  "rpc:index",
  "send:steps",
  "rpc:claim",
  "reset:claim",
  "r2:read",
  "rpc:finish",
  "reset:finish",
  "send:deliveries",
  "rpc:claim_delivery",
  "rpc:signing_secrets",
  "rpc:record_delivery",
  "reset:record_delivery",
  "rpc:index_delivery",
  "rpc:storage_targets",
];

const fired: string[] = [];
afterAll(() => {
  console.log(`fault tier: ${fired.length} faults injected, ${fired.length} survived (${POINTS.length} points)`);
});

/** A two-step group (upload, then upload its output), a webhook_url, a progress callback and a storage notify. */
async function scenario(point: string) {
  const c = await newClient("fault");
  const notify = await newSink(c.secret);
  const hook = await newSink(c.secret);
  const events = await newSink(c.secret);
  await putStorage(c, "s", { notify: notify.url });
  await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
  await putConfiguration(c, "after", {
    adapter: "s3-upload",
    params: { storage: "s", key_template: "{prefix}/{timestamp}_after_{file_name}" },
  });
  faults.arm(point, c.name);

  const form = new FormData();
  form.set("configuration_names", '["up", "after"]');
  form.set("up_data", file("payload", "clip.bin"));
  form.set("after_input", "up");
  form.set("webhook_url", hook.url);
  form.set("callbacks", JSON.stringify([{ url: events.url, on_progress: true }]));
  const key = { "idempotency-key": `fault-${point}` };
  let res = await submit(c, form, "taskgroup", key);
  if (res.status === 503) res = await submit(c, form, "taskgroup", key);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const id = res.body.task_id as string;

  const done = await waitForEnd(c, id, 90_000);
  expect(done.status, `${point}: ${JSON.stringify(done.results)}`).toBe("Succeeded");
  const view = await waitForDeliveries(c, id, 90_000);
  expect(
    view.deliveries.map((d: any) => d.state).every((s: string) => s === "succeeded"),
    point,
  ).toBe(true);

  // Each message reached its receiver once per webhook-id, verified, in the order it was made.
  const expected = {
    [hook.url]: 1,
    [notify.url]: 1,
    [events.url]: view.deliveries.filter((d: any) => d.url === events.url).length,
  };
  for (const [sink, count] of [
    [hook, expected[hook.url]],
    [notify, expected[notify.url]],
    [events, expected[events.url]],
  ] as const) {
    const log = await sink.waitFor(count!, 30_000);
    const ids = log.map((h) => h.headers["webhook-id"]);
    expect(new Set(ids).size, `${point}: duplicate webhook-id at ${sink.url}`).toBe(log.length);
    expect(log.length, `${point}: ${sink.url}`).toBe(count);
    expect(log.every((h) => h.verified)).toBe(true);
  }
  // The callback heard its events in the order they happened (task.started … job.ended).
  const made = view.deliveries.filter((d: any) => d.url === events.url);
  expect(made[0].event).toBe("task.started");
  expect(made[made.length - 1].event).toBe("job.ended");
  expect(
    (await events.log()).map((h) => h.headers["webhook-id"]),
    point,
  ).toEqual(made.map((d: any) => d.id));

  const inside = await settledInternals(c, id);
  expectNoOverlap(inside.runs);
  expect(inside.active, `${point}: a step still holds a lease`).toBe(0);
  // However many runs a step took, its upload went to one key: two steps, two objects.
  expect(await s3Keys(`cascade/${c.name}/`), point).toHaveLength(2);
  return { client: c.name, runs: inside.runs.length };
}

describe("the fault tier", () => {
  it("survives one failure at every external call and a reset at every commit point", async () => {
    faults.reset();
    const outcomes = await Promise.allSettled(POINTS.map((p) => scenario(p)));
    const failures = outcomes.flatMap((o, i) =>
      o.status === "rejected" ? [`${POINTS[i]}: ${(o.reason as Error)?.message}`] : [],
    );
    expect(failures).toEqual([]);
    const clients = outcomes.map((o) => (o as PromiseFulfilledResult<{ client: string }>).value.client);
    fired.push(...faults.reset());
    // Every armed fault fired, once, in its own taskgroup.
    expect([...fired].sort()).toEqual(POINTS.map((p, i) => `${p}|${clients[i]}`).sort());
  }, 180_000);
});
