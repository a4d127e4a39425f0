import { describe, expect, it } from "vitest";
import { api, apiJson, file, newClient, newSink, putConfiguration, putStorage, s3Bytes, submit, waitForEnd } from "./support/api";

describe("the spine: submit, run in order, upload to S3, signed final webhook", () => {
  it("runs the seed's multipart shape: two configurations, the second fed by _input", async () => {
    const c = await newClient();
    await putStorage(c, "abc-uploads");
    await putStorage(c, "abc-archive", { bucket: "archive", prefix: "" });
    await putConfiguration(c, "tg-first-upload", { adapter: "s3-upload", params: { storage: "abc-uploads" } });
    await putConfiguration(c, "tg-s3-upload", { adapter: "s3-upload", params: { storage: "abc-archive", key_template: "{task_id}/{file_name}" } });
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
    expect(first.result[0].file_key).toMatch(new RegExp(`^cascade/${c.name}/\\d+_clip\\.bin$`));
    expect(second.result[0]).toMatchObject({ bucket_name: "archive", file_key: `${body.task_id}/clip.bin` });
    expect(await s3Bytes("media", first.result[0].file_key)).toEqual(bytes);
    expect(await s3Bytes("archive", second.result[0].file_key)).toEqual(bytes);

    const [hook] = await sink.waitFor(1);
    expect(hook.verified, hook.verifyError).toBe(true);
    expect(JSON.parse(hook.body)).toEqual({ status: "Succeeded", task_id: body.task_id, results: done.results });
  });
});
