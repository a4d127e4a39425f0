/**
 * GET /api/system, the System page's data: a step a Worker holds shows on its queue (and the step
 * after it does not), failures and dead letters are counted by reason, and R2 use is the client's
 * exact bytes and objects.
 */
import { describe, expect, it } from "vitest";
import { apiJson, file, newClient, newSink, putConfiguration, putStorage, submit, waitForEnd } from "./support/api";
import { slowTaskgroup, waitForDeliveries } from "./support/engine";

const system = async (auth: Record<string, string>) => {
  const res = await apiJson("/api/system", { headers: auth });
  expect(res.status).toBe(200);
  return res.body;
};

describe("System page data", () => {
  it("shows a running step on its queue, and the queues empty once it is done", async () => {
    const { c, id } = await slowTaskgroup([{ status: 200, delayMs: 3000 }]);
    const busy = await system(c.auth);
    expect(busy.queues).toEqual([
      { queue: "cascade-steps", waiting: 0, running: 1, oldest_waiting_s: null },
      { queue: "cascade-image", waiting: 0, running: 0, oldest_waiting_s: null },
      { queue: "cascade-media", waiting: 0, running: 0, oldest_waiting_s: null },
      { queue: "cascade-deliveries", waiting: 0, running: 0, oldest_waiting_s: null },
    ]);
    expect(busy.scanned.taskgroups).toBe(1);
    await waitForEnd(c, id);
    const idle = await system(c.auth);
    expect(idle.queues.map((q: any) => q.waiting + q.running)).toEqual([0, 0, 0, 0]);
  });

  it("counts step failures and dead letters by reason, and the client's R2 bytes exactly", async () => {
    const c = await newClient("sys");
    await putStorage(c, "bad", { access_key_id: "AKIAWRONGWRONGWRONG1" });
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "bad" } });
    const asset = await apiJson("/api/assets/logo.png", { method: "PUT", headers: c.auth, body: "0123456789" });
    expect(asset.status).toBe(201);
    // Two callbacks, each tried twice (one retry), all answered 500: both end dead.
    const refuses = await newSink(c.secret, [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }]);
    const ids: string[] = [];
    for (const name of ["a.bin", "b.bin"]) {
      const form = new FormData();
      form.set("configuration_names", '["up"]');
      form.set("up_data", file("seven b", name));
      form.set("callbacks", JSON.stringify([{ url: refuses.url, retry: { attempts: 1, interval_s: 1 } }]));
      const res = await submit(c, form);
      expect(res.status).toBe(202);
      ids.push(res.body.task_id);
    }
    for (const id of ids) {
      expect((await waitForEnd(c, id)).status).toBe("Failed");
      await waitForDeliveries(c, id);
    }
    const view = await system(c.auth);
    expect(view.recent_failures).toEqual([{ reason: "storage_rejected", count: 2, last_at: expect.any(String) }]);
    expect((await refuses.log()).map((r: any) => r.answered)).toEqual([500, 500, 500, 500]);
    expect(view.dead_letters).toEqual([{ reason: "http_500", count: 2 }]);
    // One asset of 10 bytes and two submitted inputs of 7.
    expect(view.storage).toEqual({ objects: 3, bytes: 24, complete: true });
  });
});
