import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, it } from "vitest";
import { app } from "../src/app";
import { auroraBody, jobEndBody, lightflowBody, taskEventBody, vccBody } from "../src/schemas/callback-bodies";
import {
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

/** The seed's shape: a first step, then an upload fed by its output; optionally a failing upload. */
async function seedTaskgroup(opts: {
  fail?: boolean;
  callbacks: unknown[];
  notify?: string;
  client?: TestClient;
  extra?: Record<string, string>;
}) {
  const c = opts.client ?? (await newClient("cb"));
  await putStorage(
    c,
    "tg-store",
    opts.notify ? { notify: opts.notify, notify_retry: { attempts: 1, interval_s: 1 } } : {},
  );
  await putStorage(c, "bad-store", { access_key_id: "AKIAWRONGWRONGWRONG1" });
  await putConfiguration(c, "tg-first", {
    adapter: "s3-upload",
    params: { storage: "tg-store", key_template: "first/{file_name}" },
  });
  await putConfiguration(c, "tg-s3-upload", {
    adapter: "s3-upload",
    params: { storage: opts.fail ? "bad-store" : "tg-store", key_template: "final/{file_name}" },
  });
  const form = new FormData();
  form.set("configuration_names", JSON.stringify(["tg-first", "tg-s3-upload"]));
  form.set("tg-first_data", file("voucher", "voucher.png", "image/png"));
  form.set("tg-s3-upload_input", "tg-first");
  form.set("callbacks", JSON.stringify(opts.callbacks));
  form.set("content_id", "content-7");
  form.set("workflow", "conference");
  form.set("custom_data", JSON.stringify({ booth: 12 }));
  for (const [k, v] of Object.entries(opts.extra ?? {})) form.set(k, v);
  const res = await submit(c, form);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const done = await waitForEnd(c, res.body.task_id);
  return { c, id: res.body.task_id as string, done };
}

const bodies = (log: any[]) => log.map((r) => JSON.parse(r.body));

/** Waits until the group's deliveries are all finished (succeeded or dead). */
async function settled(c: TestClient, id: string, timeoutMs = 40_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const view = (await apiJson(`/api/taskgroup/${id}`, { headers: c.auth })).body;
    if (view.deliveries.every((d: any) => d.state === "succeeded" || d.state === "dead")) return view;
    if (Date.now() > until)
      throw new Error(`deliveries not settled: ${JSON.stringify(view.deliveries.map((d: any) => d.state))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("callback formats, field by field", () => {
  it("job (default): task events in order while it runs, the job body at the end", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret);
    const { id, done } = await seedTaskgroup({ client: c, callbacks: [{ url: sink.url, on_progress: true }] });
    const log = await sink.waitFor(5);
    expect(log.every((r) => r.verified && r.method === "POST")).toBe(true);
    const b = bodies(log);
    expect(b.map((x) => x.event ?? "end")).toEqual([
      "task.started",
      "task.succeeded",
      "task.started",
      "task.succeeded",
      "end",
    ]);
    // Vualto's task events: the task's own id, and a message only when it carries an error.
    const [first, second] = done.steps.map((s: any) => s.task_id);
    expect(first).not.toBe(second);
    expect(first).not.toBe(id);
    expect(b[0]).toEqual({
      job_id: id,
      task_id: first,
      task_name: "tg-first",
      workflow: "conference",
      event: "task.started",
      content_id: "content-7",
      message: "",
    });
    expect(b.slice(0, 4).map((x) => [x.task_name, x.task_id, x.message])).toEqual([
      ["tg-first", first, ""],
      ["tg-first", first, ""],
      ["tg-s3-upload", second, ""],
      ["tg-s3-upload", second, ""],
    ]);
    for (const x of b.slice(0, 4)) taskEventBody.parse(x); // the documented schema, strictly
    jobEndBody.parse(b[4]);
    expect(b[4]).toEqual({
      job_id: id,
      task_id: id,
      status: "Succeeded",
      workflow: "conference",
      content_id: "content-7",
      custom_data: JSON.stringify({ booth: 12 }),
      start_date: done.started_at,
      end_date: done.ended_at,
      results: done.results,
    });
    // Ordered delivery: the sequence header only ever grows.
    const seqs = log.map((r) => Number(r.headers["cascade-sequence"]));
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });

  it("vcc: the final taskgroup payload, a failed step's result its message", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret);
    const { id, done } = await seedTaskgroup({ client: c, fail: true, callbacks: [{ url: sink.url, format: "vcc" }] });
    const [hit] = await sink.waitFor(1);
    const body = JSON.parse(hit.body);
    expect(Object.keys(body)).toEqual(["status", "task_id", "results"]);
    vccBody.parse(body);
    expect(body.status).toBe("Failed");
    expect(body.task_id).toBe(id);
    expect(body.results).toEqual(done.results);
    expect(body.results[0]).toEqual({ error: false, result: done.steps[0].result, configuration: "tg-first" });
    expect(body.results[1].error).toBe(true);
    expect(body.results[1].result).toContain("InvalidAccessKeyId");
  });

  it("job: a failed task's event carries its error as the message", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret);
    const { done } = await seedTaskgroup({ client: c, fail: true, callbacks: [{ url: sink.url, on_progress: true }] });
    const b = bodies(await sink.waitFor(5));
    const failed = b.find((x) => x.event === "task.failed");
    expect(failed).toMatchObject({
      task_name: "tg-s3-upload",
      task_id: done.steps[1].task_id,
      message: done.steps[1].error,
    });
    expect(failed.message).toMatch(
      /^Failed to upload voucher\.png to media\/.+ An error occurred \(InvalidAccessKeyId\) when calling the PutObject operation: /,
    );
  });

  it("lightflow: its field names by POST, and status and endDate as query parameters by GET", async () => {
    const c = await newClient("cb");
    const post = await newSink(c.secret);
    const get = await newSink(c.secret);
    const { id, done } = await seedTaskgroup({
      client: c,
      callbacks: [
        { url: post.url, format: "lightflow" },
        { url: `${get.url}?ref=abc`, format: "lightflow", method: "GET" },
      ],
    });
    const [p] = await post.waitFor(1);
    const body = JSON.parse(p.body);
    expect(Object.keys(body).sort()).toEqual([
      "assetName",
      "assetUrl",
      "duration",
      "endDate",
      "inputUrl",
      "metadata",
      "startDate",
      "status",
      "thumbnail",
      "username",
      "uuid",
    ]);
    lightflowBody.parse(body);
    // The seed's values: "finished", metadata an object (custom_data came as a form field's JSON text), the user.
    // inputUrl: the submitted file, as a signed link like the outputs' (test/signed-links.test.ts opens one).
    expect(body.inputUrl).toMatch(
      new RegExp(`^https://cascade\\.test/links/${c.name}/${id}/\\d+/[0-9a-f]{64}/inputs/tg-first/voucher\\.png$`),
    );
    expect(body).toMatchObject({
      uuid: id,
      assetName: "content-7",
      username: c.name,
      startDate: done.started_at,
      endDate: done.ended_at,
      status: "finished",
      metadata: { booth: 12 },
    });
    expect(body.assetUrl).toBe(done.results[1].result[0].url);
    // A signed link a receiver can open without a key (test/signed-links.test.ts).
    expect(body.thumbnail).toBe(done.steps[1].output.url);
    expect(body.thumbnail).toMatch(
      new RegExp(`^https://cascade\\.test/links/${c.name}/${id}/\\d+/[0-9a-f]{64}/outputs/tg-s3-upload/voucher\\.png$`),
    );
    // The asset's media duration: no step here measures one.
    expect(body.duration).toBeNull();
    const [g] = await get.waitFor(1);
    expect(g.method).toBe("GET");
    expect(g.body).toBe("");
    expect(g.query).toEqual({ ref: "abc", status: "finished", endDate: done.ended_at });
    expect(g.verified).toBe(true);
  });

  it('lightflow: a failure is "failed"; the seed\'s `source` key picks the format, and any source but lightflow is refused', async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret);
    const { id } = await seedTaskgroup({
      client: c,
      fail: true,
      callbacks: [{ url: sink.url, source: "lightflow", onSuccess: true, onFailure: true }],
      extra: { custom_data: "plain words" },
    });
    const body = JSON.parse((await sink.waitFor(1))[0].body);
    lightflowBody.parse(body);
    expect(body).toMatchObject({ uuid: id, status: "failed", metadata: { custom_data: "plain words" } });
    await putConfiguration(c, "one", { adapter: "s3-upload", params: { storage: "tg-store" } });
    const refused = await submit(c, {
      configuration_names: ["one"],
      one_url: "https://example.com/in.bin",
      callbacks: [{ url: sink.url, source: "encoder" }],
    });
    expect([refused.status, refused.body.error.code]).toEqual([400, "invalid_callbacks"]);
    expect(refused.body.error.message).toBe(
      "callbacks[0].source: 'encoder' is not supported; Cascade sends LightFlow's 'lightflow' callbacks only.",
    );
  });

  it("aurora: the storage-notify body", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret);
    const { id, done } = await seedTaskgroup({
      client: c,
      fail: true,
      callbacks: [{ url: sink.url, format: "aurora" }],
    });
    const body = JSON.parse((await sink.waitFor(1))[0].body);
    // The seed's code is always 0, failure or not.
    expect(body).toMatchObject({ code: 0, msg: "failed", callback_url: sink.url });
    auroraBody.parse(body);
    expect(body.data).toHaveLength(2);
    expect(Object.keys(body.data[0]).sort()).toEqual([
      "duration",
      "error_code",
      "error_msg",
      "format",
      "input",
      "output",
      "spend_time",
      "status",
      "task_id",
    ]);
    expect(body.data.map((d: any) => d.task_id)).toEqual(done.steps.map((s: any) => s.task_id));
    expect(body.data[0].task_id).not.toBe(body.data[1].task_id);
    // input and output are URIs: the submitted file's signed link, then the first step's output it was fed.
    expect(body.data[0].input).toMatch(
      new RegExp(`^https://cascade\\.test/links/${c.name}/${id}/\\d+/[0-9a-f]{64}/inputs/tg-first/voucher\\.png$`),
    );
    expect(body.data[0]).toMatchObject({
      output: done.results[0].result[0].url,
      format: "png",
      status: "succeeded",
      error_code: 0,
      error_msg: "",
    });
    expect(body.data[1]).toMatchObject({
      input: done.steps[0].output.url,
      output: null,
      status: "failed",
      error_code: 1,
    });
    expect(body.data[1].error_msg).toContain("InvalidAccessKeyId");
  });

  it("a body template replaces the format's body, filled from it, and is still signed", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret);
    const template = {
      text: "Job {{job_id}} is {{status}} ({{event}})",
      outcome: "{{status}}",
      results: "{{results}}",
      source: "cascade",
    };
    const { id, done } = await seedTaskgroup({ client: c, callbacks: [{ url: sink.url, body_template: template }] });
    const [hit] = await sink.waitFor(1);
    expect(hit.verified).toBe(true);
    expect(JSON.parse(hit.body)).toEqual({
      text: `Job ${id} is Succeeded (job.ended)`,
      outcome: "Succeeded",
      results: done.results,
      source: "cascade",
    });
  });

  it("job by GET: no body, status, end_date and job_id as query parameters", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret);
    const { id, done } = await seedTaskgroup({ client: c, callbacks: [{ url: sink.url, method: "GET" }] });
    const [g] = await sink.waitFor(1);
    expect([g.method, g.body]).toEqual(["GET", ""]);
    expect(g.query).toEqual({ status: "Succeeded", end_date: done.ended_at, job_id: id });
  });
});

describe("callback options", () => {
  it("adds custom headers, uses PUT, and filters by outcome; camelCase spellings work", async () => {
    const c = await newClient("cb");
    const put = await newSink(c.secret);
    const onlyFailure = await newSink(c.secret);
    const camelNoSuccess = await newSink(c.secret);
    const camelProgress = await newSink(c.secret);
    const { id } = await seedTaskgroup({
      client: c,
      callbacks: [
        {
          url: put.url,
          method: "PUT",
          headers: [
            { name: "X-Api-Token", value: "t0ken" },
            { name: "Authorization", value: "Basic abc" },
          ],
        },
        { url: onlyFailure.url, on_success: false, on_failure: true },
        { url: camelNoSuccess.url, onSuccess: false },
        { url: camelProgress.url, onProgressEncoding: true, onSuccess: false },
      ],
    });
    const [hit] = await put.waitFor(1);
    expect(hit.method).toBe("PUT");
    expect(hit.headers["x-api-token"]).toBe("t0ken");
    expect(hit.headers.authorization).toBe("Basic abc");
    expect(hit.verified).toBe(true);
    // LightFlow's onProgressEncoding: when each task completes, not as it starts.
    const progress = await camelProgress.waitFor(2);
    expect(bodies(progress).map((b) => [b.event, b.task_name])).toEqual([
      ["task.succeeded", "tg-first"],
      ["task.succeeded", "tg-s3-upload"],
    ]);
    await settled(c, id);
    expect(await onlyFailure.log()).toEqual([]);
    expect(await camelNoSuccess.log()).toEqual([]);
    expect(await camelProgress.log()).toHaveLength(2);
  });

  it("keeps each callback's events in order even when an early one needs retries", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret, [{ status: 500 }, { status: 500 }]);
    const { id } = await seedTaskgroup({
      client: c,
      callbacks: [{ url: sink.url, on_progress: true, retry: { attempts: 5, interval_s: 1 } }],
    });
    const log = await sink.waitFor(7);
    const events = bodies(log).map((b) => b.event ?? "end");
    expect(events).toEqual([
      "task.started",
      "task.started",
      "task.started",
      "task.succeeded",
      "task.started",
      "task.succeeded",
      "end",
    ]);
    expect(new Set(log.slice(0, 3).map((r) => r.headers["webhook-id"])).size).toBe(1);
    const view = await settled(c, id);
    expect(view.deliveries.map((d: any) => d.state)).toEqual(Array(5).fill("succeeded"));
  });

  it("honours Retry-After: the next attempt waits at least that long", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret, [{ status: 503, headers: { "retry-after": "2" } }]);
    await seedTaskgroup({ client: c, callbacks: [{ url: sink.url, retry: { attempts: 2, interval_s: 1 } }] });
    const [first, second] = await sink.waitFor(2);
    expect(second.at - first.at).toBeGreaterThanOrEqual(1_900);
    expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
  });

  it("dead-letters after the schedule, lists it, and redelivers it with the same id", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret, [{ status: 500 }, { status: 502 }, { status: 500 }]);
    const { id } = await seedTaskgroup({
      client: c,
      callbacks: [{ url: sink.url, retry: { attempts: 2, interval_s: 1 } }],
    });
    const view = await settled(c, id);
    const dead = view.deliveries[0];
    expect(dead.state).toBe("dead");
    expect(dead.attempts.map((a: any) => a.status)).toEqual([500, 502, 500]);
    const listed = await apiJson("/api/deliveries?state=dead", { headers: c.auth });
    expect(listed.body.deliveries).toEqual([
      expect.objectContaining({ id: dead.id, task_id: id, state: "dead", attempts: 3, url: sink.url }),
    ]);
    const again = await apiJson(`/api/taskgroup/${id}/deliveries/${dead.id}/redeliver`, {
      method: "POST",
      headers: c.auth,
    });
    expect(again.status).toBe(202);
    const log = await sink.waitFor(4);
    expect(log[3].answered).toBe(200);
    expect(new Set(log.map((r) => r.headers["webhook-id"]))).toEqual(new Set([dead.id]));
    const after = await settled(c, id);
    expect(after.deliveries[0].state).toBe("succeeded");
    expect((await apiJson("/api/deliveries?state=dead", { headers: c.auth })).body.deliveries).toEqual([]);
    const twice = await apiJson(`/api/taskgroup/${id}/deliveries/${dead.id}/redeliver`, {
      method: "POST",
      headers: c.auth,
    });
    expect([twice.status, twice.body.error.code]).toEqual([409, "delivery_not_dead"]);
    const unknown = await apiJson(`/api/taskgroup/${id}/deliveries/msg_${"0".repeat(32)}/redeliver`, {
      method: "POST",
      headers: c.auth,
    });
    expect(unknown.status).toBe(404);
  });

  it("counts a receiver that hangs as a failed attempt after 10 s", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret, [{ status: 200, hang: true }]);
    const { id } = await seedTaskgroup({
      client: c,
      callbacks: [{ url: sink.url, retry: { attempts: 1, interval_s: 1 } }],
    });
    const view = await settled(c, id, 30_000);
    const attempts = view.deliveries[0].attempts;
    expect(attempts[0]).toMatchObject({ status: null, error: "timed out after 10 s" });
    expect(attempts[0].latency_ms).toBeGreaterThanOrEqual(9_900);
    expect(attempts[1].status).toBe(200);
  });

  it("stops retrying on 410 Gone", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret, [{ status: 410 }]);
    const { id } = await seedTaskgroup({
      client: c,
      callbacks: [{ url: sink.url, retry: { attempts: 3, interval_s: 1 } }],
    });
    const view = await settled(c, id);
    expect(view.deliveries[0].state).toBe("dead");
    expect(view.deliveries[0].attempts).toHaveLength(1);
  });

  it("signs with both secrets during a rotation", async () => {
    const c = await newClient("cb");
    const oldSink = await newSink(c.secret);
    const rotated = await apiJson("/api/client/webhook-secret/rotate", { method: "POST", headers: c.auth });
    await seedTaskgroup({ client: c, callbacks: [{ url: oldSink.url, format: "vcc" }] });
    const [hit] = await oldSink.waitFor(1);
    expect(hit.verified).toBe(true);
    expect(hit.headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(new Webhook(rotated.body.webhook_secret).verify(hit.body, hit.headers)).toMatchObject({
      status: "Succeeded",
    });
  });
});

describe("storage notify and email", () => {
  it("a storage target's notify URL gets the AuroraCloud body for its uploads", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret, [{ status: 500 }]);
    const { id, done } = await seedTaskgroup({ client: c, callbacks: [], notify: sink.url });
    const log = await sink.waitFor(2);
    expect(log.every((r) => r.verified)).toBe(true);
    const body = JSON.parse(log[1].body);
    expect(body).toMatchObject({ code: 0, msg: "succeeded", callback_url: sink.url });
    expect(body.data.map((d: any) => [d.task_id, d.output, d.status])).toEqual([
      [done.steps[0].task_id, done.results[0].result[0].url, "succeeded"],
      [done.steps[1].task_id, done.results[1].result[0].url, "succeeded"],
    ]);
    const view = await settled(c, id);
    expect(view.deliveries.find((d: any) => d.kind === "notify").attempts.map((a: any) => a.status)).toEqual([
      500, 200,
    ]);
  });

  it("a storage target is notified even when the group fails before its upload step runs", async () => {
    const c = await newClient("cb");
    const sink = await newSink(c.secret);
    await putStorage(c, "early-bad", { access_key_id: "AKIAWRONGWRONGWRONG1" });
    await putStorage(c, "notified", { notify: sink.url });
    await putConfiguration(c, "bad-first", { adapter: "s3-upload", params: { storage: "early-bad" } });
    await putConfiguration(c, "then-up", { adapter: "s3-upload", params: { storage: "notified" } });
    const form = new FormData();
    form.set("configuration_names", JSON.stringify(["bad-first", "then-up"]));
    form.set("bad-first_data", file("x", "x.bin"));
    form.set("then-up_input", "bad-first");
    const res = await submit(c, form);
    const done = await waitForEnd(c, res.body.task_id);
    expect(done.steps.map((s: any) => s.state)).toEqual(["failed", "skipped"]);
    const body = JSON.parse((await sink.waitFor(1))[0].body);
    auroraBody.parse(body);
    expect(body).toMatchObject({ code: 0, msg: "failed", callback_url: sink.url });
    expect(body.data).toEqual([
      expect.objectContaining({
        task_id: done.steps[1].task_id,
        input: "output of bad-first",
        output: null,
        status: "failed",
        error_code: 1,
      }),
    ]);
    expect(body.data[0].error_msg).toMatch(
      /^not run: bad-first failed first \(Failed to upload x\.bin to media\/.+InvalidAccessKeyId/,
    );
  });

  it("a mailto: callback, in any case, sends a summary through send_email (an .eml file locally)", async () => {
    // MAILTO: in capitals was once posted as HTTP.
    const { c, id } = await seedTaskgroup({
      callbacks: [{ url: "mailto:ops@example.com" }, { url: "MAILTO:oncall@example.com" }],
    });
    const view = await settled(c, id);
    expect(view.deliveries.map((d: any) => [d.kind, d.state, d.url])).toEqual([
      ["email", "succeeded", "mailto:ops@example.com"],
      ["email", "succeeded", "MAILTO:oncall@example.com"],
    ]);
    const emails = (await (await fetch(`${inject("receiverUrl")}/emails?contains=${id}`)).json()) as string[];
    expect(emails).toHaveLength(2);
    expect(emails.map((e) => /^To: (.+)$/m.exec(e)![1]!.trim()).sort()).toEqual([
      "<oncall@example.com>",
      "<ops@example.com>",
    ]);
    // mimetext writes the subject as an RFC 2047 encoded word.
    const subject = /^Subject: (.+)$/m
      .exec(emails[0]!)![1]!
      .replace(/=\?utf-8\?B\?(.+?)\?=/gi, (_, b64: string) => atob(b64));
    expect(subject).toBe(`Cascade taskgroup ${id}: Succeeded`);
    expect(emails[0]).toContain("text/html");
  });
});

describe("bad callback specs are refused at submission", () => {
  const cases: [string, unknown, RegExp][] = [
    ["ftp URL", [{ url: "ftp://example.com/x" }], /must be an https URL/],
    ["not an array", { url: "https://example.com" }, /JSON array/],
    ["50 callbacks", Array.from({ length: 50 }, () => ({ url: "https://example.com/x" })), /At most 20/],
    [
      "a 100 KB header",
      [{ url: "https://example.com/x", headers: [{ name: "X-Big", value: "a".repeat(100_000) }] }],
      /limited to 4096/,
    ],
    [
      "a Host header",
      [{ url: "https://example.com/x", headers: [{ name: "Host", value: "evil" }] }],
      /'Host' cannot be set/,
    ],
    [
      "a Content-Length header",
      [{ url: "https://example.com/x", headers: [{ name: "content-length", value: "1" }] }],
      /cannot be set/,
    ],
    [
      "a header with a line break",
      [{ url: "https://example.com/x", headers: [{ name: "X-A", value: "a\r\nHost: b" }] }],
      /only visible ASCII/,
    ],
    [
      "a header value a request cannot carry",
      [{ url: "https://example.com/x", headers: [{ name: "X-A", value: "caf\u0113" }] }],
      /only visible ASCII/,
    ],
    ["an unknown format", [{ url: "https://example.com/x", format: "xml" }], /format/],
    ["an unknown key", [{ url: "https://example.com/x", colour: "red" }], /colour/],
    ["a bad mailto", [{ url: "mailto:not-an-address" }], /https URL/],
    [
      "a body template naming a field its format lacks",
      [{ url: "https://example.com/x", format: "vcc", body_template: { a: "{{job_id}}" } }],
      /^callbacks\[0\]\.body_template: no field \{\{job_id\}\} in the vcc format; it has status, task_id, results, event\.$/,
    ],
    [
      "a body template on a GET callback",
      [{ url: "https://example.com/x", method: "GET", body_template: { a: "{{status}}" } }],
      /a GET callback sends no body/,
    ],
    [
      "a 100 KB body template",
      [{ url: "https://example.com/x", body_template: { a: "x".repeat(100_000) } }],
      /over the 64 KiB limit/,
    ],
  ];
  for (const [what, callbacks, message] of cases) {
    it(what, async () => {
      const c = await newClient("bad");
      await putStorage(c, "s");
      await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
      const res = await submit(c, { configuration_names: ["up"], up_url: "https://example.com/in.bin", callbacks });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
      expect((await apiJson("/api/taskgroup", { headers: c.auth })).body.taskgroups).toEqual([]);
    });
  }

  it("private, loopback and metadata addresses once deployed", async () => {
    const c = await newClient("bad");
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const deployed = { ...env, ENVIRONMENT: "production" };
    for (const url of [
      "https://10.0.0.5/hook",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/x",
      "https://localhost/x",
      "http://example.com/x",
      // Once let through: a trailing dot, IPv4-compatible v6, NAT64 and 6to4 forms of private v4, the benchmarking range.
      "https://localhost./x",
      "https://[::7f00:1]/x",
      "https://[64:ff9b::a9fe:a9fe]/x",
      "https://[2002:c0a8:101::1]/x",
      "https://198.18.0.1/x",
    ]) {
      const req = new Request("https://cascade.test/api/taskgroup/", {
        method: "POST",
        headers: { ...c.auth, "content-type": "application/json" },
        body: JSON.stringify({
          configuration_names: ["up"],
          up_url: "https://example.com/in.bin",
          callbacks: [{ url }],
        }),
      });
      const res = await app.fetch(req, deployed);
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as any).error.code).toBe("invalid_url");
    }
  });
});
