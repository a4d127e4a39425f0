/**
 * Receivers as the seed systems' users wrote them, each reading only what its seed documents:
 * LightFlow waits for `status: "finished"` and opens `assetUrl`/`inputUrl` as plain links;
 * AuroraCloud checks `code == 0`, dedupes `data[]` by `task_id` and reads `input`/`output` as URIs;
 * VCC parses boto3's failure wording; Vualto alerts on a non-empty task `message`. One taskgroup
 * fails (bad storage keys), the client fixes the target and retries it, and every receiver must
 * reach the right conclusion from both rounds, by POST and, where the seed has it, by GET.
 */
import { describe, expect, it } from "vitest";
import {
  api,
  apiJson,
  file,
  jsonInit,
  newClient,
  newSink,
  putConfiguration,
  putStorage,
  submit,
  waitForEnd,
  ORIGIN,
} from "./support/api";

const BOTO3_FAILURE =
  /^Failed to upload (.+) to ([a-z0-9.-]+)\/(.+): An error occurred \((\w+)\) when calling the (\w+) operation: (.+)$/;
const AURORA_FORMATS = new Set(["mp4", "hls", "dash", "flv"]);
const opensWithoutKey = async (url: string) => (await api(url.replace(ORIGIN, ""))).status;
const isUri = (v: unknown) => typeof v === "string" && URL.canParse(v);

/** LightFlow: the job is done when `status` is "finished"; metadata is an object; links open as they are. */
async function lightflowReceiver(body: any) {
  expect(typeof body.metadata).toBe("object");
  expect(body.metadata).not.toBeNull();
  expect(typeof body.uuid).toBe("string");
  expect(typeof body.username).toBe("string");
  expect(await opensWithoutKey(body.inputUrl)).toBe(200);
  if (body.status !== "finished") return { done: false, status: body.status };
  expect(await opensWithoutKey(body.thumbnail)).toBe(200);
  return { done: true, status: body.status, asset: body.assetUrl as string };
}

/** AuroraCloud: code is always 0; entries deduped by task_id, the last word winning. */
function auroraReceiver(bodies: any[]) {
  const tasks = new Map<string, any>();
  for (const body of bodies) {
    expect(body.code).toBe(0);
    expect(["succeeded", "failed"]).toContain(body.msg);
    for (const d of body.data) {
      expect(isUri(d.input), d.input).toBe(true);
      if (d.output !== null) expect(isUri(d.output), d.output).toBe(true);
      expect(typeof d.error_code).toBe("number");
      tasks.set(d.task_id, d);
    }
  }
  return tasks;
}

/** VCC: a failed configuration's result is boto3's sentence; a succeeded one's url ends in bucket/key. */
function vccReceiver(body: any) {
  return body.results.map((r: any) => {
    if (!r.error) return { ok: true, url: r.result[0].url as string, key: r.result[0].file_key as string };
    const m = BOTO3_FAILURE.exec(r.result);
    expect(m, r.result).not.toBeNull();
    return { ok: false, file: m![1], bucket: m![2], key: m![3], code: m![4], operation: m![5] };
  });
}

describe("seed receivers, through a failure and a retry", () => {
  it("each reaches the right conclusion from what its seed documents", async () => {
    const c = await newClient("seed");
    const [lfPost, lfGet, aurora, vcc, vualto] = await Promise.all([
      newSink(c.secret),
      newSink(c.secret),
      newSink(c.secret),
      newSink(c.secret),
      newSink(c.secret),
    ]);
    await putStorage(c, "seed-store", { access_key_id: "AKIAWRONGWRONGWRONG1", notify: aurora.url });
    await putConfiguration(c, "seed-up", {
      adapter: "s3-upload",
      params: { storage: "seed-store", key_template: "{prefix}/{timestamp}_{file_name}" },
    });
    const form = new FormData();
    form.set("configuration_names", '["seed-up"]');
    form.set("seed-up_data", file("a poster", "poster.png", "image/png"));
    form.set("webhook_url", vcc.url);
    form.set("custom_data", JSON.stringify({ talk: 42 }));
    form.set(
      "callbacks",
      JSON.stringify([
        { url: lfPost.url, source: "lightflow", onSuccess: true, onFailure: true },
        { url: lfGet.url, format: "lightflow", method: "GET" },
        { url: vualto.url, on_progress: true },
      ]),
    );
    const sub = await submit(c, form);
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    const id = sub.body.task_id as string;
    const failed = await waitForEnd(c, id);
    expect(failed.status).toBe("Failed");

    // Round one: every receiver sees a failure.
    const lf1 = await lightflowReceiver(JSON.parse((await lfPost.waitFor(1))[0].body));
    expect(lf1).toEqual({ done: false, status: "failed" });
    const [get1] = await lfGet.waitFor(1);
    expect(get1.query).toMatchObject({ status: "failed", endDate: failed.ended_at });
    const [v1] = vccReceiver(JSON.parse((await vcc.waitFor(1))[0].body));
    expect(v1).toMatchObject({
      ok: false,
      file: "poster.png",
      bucket: "media",
      code: "InvalidAccessKeyId",
      operation: "PutObject",
    });
    const a1 = auroraReceiver([JSON.parse((await aurora.waitFor(1))[0].body)]);
    expect([...a1.values()].map((d) => [d.status, d.error_code])).toEqual([["failed", 1]]);
    const events1 = (await vualto.waitFor(3)).map((r) => JSON.parse(r.body));
    const alerts1 = events1.filter((e) => e.event !== undefined && e.message !== "");
    expect(alerts1.map((e) => e.event)).toEqual(["task.failed"]);
    expect(alerts1[0].task_id).not.toBe(alerts1[0].job_id);

    // The client fixes the keys and retries the group.
    await putStorage(c, "seed-store", { notify: aurora.url });
    expect((await apiJson(`/api/taskgroup/${id}/retry`, jsonInit("POST", {}, c.auth))).status).toBe(202);
    const done = await waitForEnd(c, id);
    expect(done.status).toBe("Succeeded");

    // Round two: the same receivers now conclude success, about the same task.
    const lf2 = await lightflowReceiver(JSON.parse((await lfPost.waitFor(2))[1].body));
    expect(lf2).toMatchObject({ done: true, status: "finished" });
    expect((await lfGet.waitFor(2))[1].query).toMatchObject({ status: "finished", endDate: done.ended_at });
    const [v2] = vccReceiver(JSON.parse((await vcc.waitFor(2))[1].body));
    expect(v2.ok).toBe(true);
    expect(v2.key).toMatch(new RegExp(`^cascade/${c.name}/\\d{10}\\.\\d{6}_poster\\.png$`));
    expect(v2.url.endsWith(`/media/${v2.key}`)).toBe(true);
    expect(lf2.asset).toBe(v2.url);
    const a2 = auroraReceiver((await aurora.waitFor(2)).map((r) => JSON.parse(r.body)));
    // Deduped by task_id, the retry's entry replaced the failure's: one task, now succeeded.
    expect(a2.size).toBe(1);
    const [entry] = [...a2.values()];
    expect(entry).toMatchObject({ status: "succeeded", error_code: 0, output: v2.url, format: "png" });
    expect([...AURORA_FORMATS, "png"]).toContain(entry.format);
    const events2 = (await vualto.waitFor(6)).map((r) => JSON.parse(r.body)).slice(events1.length);
    expect(events2.filter((e) => e.event !== undefined && e.message !== "")).toEqual([]);
    expect(events2.map((e) => e.event ?? e.status)).toEqual(["task.started", "task.succeeded", "Succeeded"]);
    expect(new Set([...events1, ...events2].filter((e) => e.event).map((e) => e.task_id)).size).toBe(1);
    // Every request verified with the client's secret (the sinks check Standard Webhooks signatures).
    for (const sink of [lfPost, lfGet, aurora, vcc, vualto])
      for (const r of await sink.log()) expect(r.verified).toBe(true);
  });
});
