import { describe, expect, inject, it } from "vitest";
import {
  api,
  apiJson,
  digest,
  file,
  newClient,
  newSink,
  putConfiguration,
  putStorage,
  randomBytes,
  s3,
  s3Bytes,
  submit,
  waitForEnd,
} from "./support/api";

describe("the spine: submit, run in order, upload to S3, signed final webhook", () => {
  it("runs the seed's multipart shape: two configurations, the second fed by _input", async () => {
    const c = await newClient();
    await putStorage(c, "abc-uploads");
    await putStorage(c, "abc-archive", { bucket: "archive", prefix: "" });
    await putConfiguration(c, "tg-first-upload", { adapter: "s3-upload", params: { storage: "abc-uploads" } });
    await putConfiguration(c, "tg-s3-upload", {
      adapter: "s3-upload",
      params: { storage: "abc-archive", key_template: "{task_id}/{file_name}" },
    });
    const sink = await newSink(c.secret);
    const bytes = crypto.getRandomValues(new Uint8Array(50_000));
    const form = new FormData();
    form.set("configuration_names", JSON.stringify(["tg-first-upload", "tg-s3-upload"]));
    form.set("tg-first-upload_data", file(bytes, "clip.bin"));
    form.set("tg-s3-upload_input", "tg-first-upload");
    form.set("webhook_url", sink.url);
    const { status, body } = await submit(c, form);
    expect(status).toBe(202);
    expect(body.status).toBe("Queued");
    expect(body.status_url).toBe(`https://cascade.test/api/taskgroup/${body.task_id}`);

    const done = await waitForEnd(c, body.task_id);
    expect(done.status).toBe("Succeeded");
    expect(done.steps.map((s: any) => s.state)).toEqual(["succeeded", "succeeded"]);
    const [first, second] = done.results;
    expect(first.configuration).toBe("tg-first-upload");
    expect(first.error).toBe(false);
    expect(Object.keys(first.result[0]).sort()).toEqual(["activity", "bucket_name", "file_key", "url"]);
    expect(first.result[0].bucket_name).toBe("media");
    expect(first.result[0].file_key).toMatch(new RegExp(`^cascade/${c.name}/\\d{10}\\.\\d{6}_clip\\.bin$`));
    expect(second.result[0]).toMatchObject({ bucket_name: "archive", file_key: `${body.task_id}/clip.bin` });
    expect(await s3Bytes("media", first.result[0].file_key)).toEqual(bytes);
    const head = await s3.fetch(`${inject("s3Endpoint")}/media/${first.result[0].file_key}`, { method: "HEAD" });
    expect(first.result[0].activity).toEqual([head.headers.get("etag")!.replaceAll('"', "")]);
    expect(first.result[0].url).toBe(`${inject("s3Endpoint")}/media/${first.result[0].file_key}`);
    expect(await s3Bytes("archive", second.result[0].file_key)).toEqual(bytes);

    const [hook] = await sink.waitFor(1);
    expect(hook.verified, hook.verifyError).toBe(true);
    expect(JSON.parse(hook.body)).toEqual({ status: "Succeeded", task_id: body.task_id, results: done.results });
  });
});

describe("failures and chains", () => {
  it("a wrong access key fails the group with InvalidAccessKeyId; the earlier step stays error: false", async () => {
    const c = await newClient();
    await putStorage(c, "good");
    await putStorage(c, "bad-key", { access_key_id: "AKIAWRONGWRONGWRONG1" });
    await putConfiguration(c, "tg-first", { adapter: "s3-upload", params: { storage: "good" } });
    await putConfiguration(c, "tg-s3-upload", { adapter: "s3-upload", params: { storage: "bad-key" } });
    await putConfiguration(c, "tg-never", { adapter: "s3-upload", params: { storage: "good" } });
    const sink = await newSink(c.secret);
    const form = new FormData();
    form.set("configuration_names", JSON.stringify(["tg-first", "tg-s3-upload", "tg-never"]));
    form.set("tg-first_data", file("voucher", "voucher.png", "image/png"));
    form.set("tg-s3-upload_input", "tg-first");
    form.set("tg-never_input", "tg-first");
    form.set("webhook_url", sink.url);
    const { body } = await submit(c, form);
    const done = await waitForEnd(c, body.task_id);
    expect(done.status).toBe("Failed");
    expect(done.steps.map((s: any) => s.state)).toEqual(["succeeded", "failed", "skipped"]);
    // A rejected upload is not worth retrying: one attempt.
    expect(done.steps[1].attempts).toBe(1);
    expect(done.results).toHaveLength(2);
    expect(done.results[0]).toMatchObject({ error: false, configuration: "tg-first" });
    expect(done.results[1].error).toBe(true);
    expect(done.results[1].configuration).toBe("tg-s3-upload");
    // VCC's wording, so receivers that parse it keep working.
    expect(done.results[1].result).toMatch(
      new RegExp(
        `^Failed to upload voucher\\.png to media/cascade/${c.name}/\\d{10}\\.\\d{6}_voucher\\.png: An error occurred \\(InvalidAccessKeyId\\) when calling the PutObject operation: \\S`,
      ),
    );
    const [hook] = await sink.waitFor(1);
    expect(hook.verified).toBe(true);
    expect(JSON.parse(hook.body)).toEqual({ status: "Failed", task_id: body.task_id, results: done.results });
  });

  it("a wrong secret key names SignatureDoesNotMatch", async () => {
    const c = await newClient();
    await putStorage(c, "bad-secret", { secret_access_key: "not-the-secret" });
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "bad-secret" } });
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("x", "x.txt"));
    const done = await waitForEnd(c, (await submit(c, form)).body.task_id);
    expect(done.results[0].result).toContain("SignatureDoesNotMatch");
  });

  it("a chain runs its adapters in order, each on the previous output, one result per adapter", async () => {
    const c = await newClient();
    await putStorage(c, "a");
    await putStorage(c, "b", { bucket: "archive" });
    await putConfiguration(c, "chain-two", {
      chain: [
        { adapter: "s3-upload", params: { storage: "a", key_template: "one/{file_name}" } },
        { adapter: "s3-upload", params: { storage: "b", key_template: "two/{configuration}/{file_name}" } },
      ],
    });
    const bytes = new TextEncoder().encode("chained");
    const form = new FormData();
    form.set("configuration_names", '["chain-two"]');
    form.set("chain-two_data", file(bytes, "doc.txt", "text/plain"));
    form.set("chain-two_extras", JSON.stringify({ key_template: "over/{file_name}" }));
    const done = await waitForEnd(c, (await submit(c, form)).body.task_id);
    expect(done.status).toBe("Succeeded");
    const [results] = done.results.map((r: any) => r.result);
    expect(results).toHaveLength(2);
    // extras merge over every adapter of the chain that knows the key
    expect(results.map((r: any) => [r.bucket_name, r.file_key])).toEqual([
      ["media", "over/doc.txt"],
      ["archive", "over/doc.txt"],
    ]);
    expect(await s3Bytes("archive", "over/doc.txt")).toEqual(bytes);
  });

  it("uploads a file over the part size with S3 multipart upload, byte for byte", async () => {
    const c = await newClient();
    await putStorage(c, "big");
    await putConfiguration(c, "up", {
      adapter: "s3-upload",
      params: { storage: "big", key_template: "big/{file_name}" },
    });
    const bytes = randomBytes(9 * 1024 * 1024 + 123);
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file(bytes, "large.bin"));
    const done = await waitForEnd(c, (await submit(c, form)).body.task_id);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    // A single PUT reports the object's ETag as its activity id; a multipart upload reports its UploadId instead.
    const head = await s3.fetch(`${inject("s3Endpoint")}/media/big/large.bin`, { method: "HEAD" });
    const activity = done.results[0].result[0].activity;
    expect(activity).toHaveLength(1);
    expect(activity[0]).not.toBe(head.headers.get("etag")!.replaceAll('"', ""));
    const stored = await s3Bytes("media", "big/large.bin");
    expect(stored.length).toBe(bytes.length);
    expect(await digest(stored)).toBe(await digest(bytes));
  });

  it("takes a JSON body with a {cfg}_url input, and the task route for one configuration", async () => {
    const c = await newClient();
    await putStorage(c, "s");
    await putConfiguration(c, "up", {
      adapter: "s3-upload",
      params: { storage: "s", key_template: "url/{task_id}/{file_name}" },
    });
    const receiver = inject("receiverUrl");
    const bytes = crypto.getRandomValues(new Uint8Array(4096));
    await fetch(`${receiver}/files/source.bin`, { method: "PUT", body: bytes });

    const group = await submit(c, {
      configuration_names: ["up"],
      up_url: `${receiver}/files/source.bin`,
      content_id: "c-1",
      workflow: "wf",
    });
    expect(group.status).toBe(202);
    const done = await waitForEnd(c, group.body.task_id);
    expect(done.status).toBe("Succeeded");
    expect(done).toMatchObject({ content_id: "c-1", workflow: "wf", kind: "taskgroup" });
    expect(await s3Bytes("media", `url/${group.body.task_id}/source.bin`)).toEqual(bytes);

    const task = await submit(c, { configuration_name: "up", data_url: `${receiver}/files/source.bin` }, "task");
    expect(task.status).toBe(202);
    expect(task.body.status_url).toBe(`https://cascade.test/api/task/${task.body.task_id}`);
    const viaTask = await apiJson(`/api/task/${task.body.task_id}`, { headers: c.auth });
    expect(viaTask.body.kind).toBe("task");
    expect((await waitForEnd(c, task.body.task_id)).status).toBe("Succeeded");

    const missing = await submit(c, { configuration_names: ["up"], up_url: `${receiver}/files/absent.bin` });
    const failed = await waitForEnd(c, missing.body.task_id);
    expect(failed.status).toBe("Failed");
    expect(failed.results[0].result).toBe(`Could not fetch the input from ${receiver}/files/absent.bin: HTTP 404`);
  });

  it("serves a step's output file and lists taskgroups newest first with a cursor", async () => {
    const c = await newClient();
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const form = new FormData();
      form.set("configuration_names", '["up"]');
      form.set("up_data", file(`file ${i}`, `f${i}.txt`, "text/plain"));
      ids.push((await submit(c, form)).body.task_id);
    }
    for (const id of ids) await waitForEnd(c, id);
    const done = await waitForEnd(c, ids[0]!);
    const out = done.steps[0].output;
    expect(out).toMatchObject({ file_name: "f0.txt", content_type: "text/plain", size: 6 });
    expect(out.url).toMatch(
      new RegExp(`^https://cascade\\.test/links/${c.name}/${ids[0]}/\\d+/[0-9a-f]{64}/outputs/up/f0\\.txt$`),
    );
    const dl = await api(out.url.replace("https://cascade.test", ""));
    expect([dl.status, await dl.text()]).toEqual([200, "file 0"]);
    const authed = await api(`/api/taskgroup/${ids[0]}/outputs/up/f0.txt`, { headers: c.auth });
    expect([authed.status, await authed.text()]).toEqual([200, "file 0"]);
    expect((await api(`/api/taskgroup/${ids[0]}/outputs/up/other.txt`, { headers: c.auth })).status).toBe(404);

    const page1 = await apiJson("/api/taskgroup?limit=2", { headers: c.auth });
    const page2 = await apiJson(`/api/taskgroup?limit=2&cursor=${page1.body.next_cursor}`, { headers: c.auth });
    expect([...page1.body.taskgroups, ...page2.body.taskgroups].map((t: any) => t.task_id)).toEqual([...ids].reverse());
    expect(page2.body.next_cursor).toBeNull();
    expect((await apiJson("/api/taskgroup?status=Failed", { headers: c.auth })).body.taskgroups).toEqual([]);
    expect((await apiJson("/api/taskgroup?status=Nope", { headers: c.auth })).status).toBe(400);
    expect((await apiJson("/api/taskgroup?cursor=%%%", { headers: c.auth })).status).toBe(400);
    expect((await apiJson("/api/taskgroup/not-a-uuid", { headers: c.auth })).status).toBe(400);
  });
});
