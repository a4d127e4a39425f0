import { describe, expect, it } from "vitest";
import { PART_TRIES } from "../src/adapters/s3-client";
import {
  digest,
  file,
  newClient,
  putConfiguration,
  putStorage,
  randomBytes,
  s3Bytes,
  submit,
  waitForEnd,
} from "./support/api";
import { s3Calls, s3Fault, s3FrontEndpoint } from "./support/s3-faults";

/** A client whose storage target reaches S3 through the front, a configuration uploading to `key`, and 9 MB (two parts). */
async function multipartUpload(key: string) {
  const c = await newClient("parts");
  await putStorage(c, "front", { endpoint: s3FrontEndpoint() });
  await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "front", key_template: key } });
  const bytes = randomBytes(9 * 1024 * 1024 + 7);
  const form = new FormData();
  form.set("configuration_names", '["up"]');
  form.set("up_data", file(bytes, "big.bin"));
  const { status, body } = await submit(c, form);
  expect(status).toBe(202);
  return { c, id: body.task_id as string, bytes };
}

describe("S3 multipart upload when a part fails", () => {
  it("a part S3 answers 5xx is sent again on its own, and the step succeeds in its first attempt", async () => {
    const key = `parts/${crypto.randomUUID()}/big.bin`;
    await s3Fault({ match: [key, "partNumber=2"], status: 503, code: "SlowDown", times: 2 });
    const { c, id, bytes } = await multipartUpload(key);
    const done = await waitForEnd(c, id);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    expect(done.steps[0].attempts).toBe(1);
    expect(await s3Calls(key)).toEqual([
      "create 200",
      "part 1 200",
      "part 2 503",
      "part 2 503",
      "part 2 200",
      "complete 200",
    ]);
    expect(await digest(await s3Bytes("media", key))).toBe(await digest(bytes));
  });

  it("a part that fails every try gives the run up: the upload is aborted, and the step's next attempt starts over", async () => {
    const key = `parts/${crypto.randomUUID()}/big.bin`;
    await s3Fault({ match: [key, "partNumber=2"], status: 500, times: PART_TRIES });
    const { c, id, bytes } = await multipartUpload(key);
    const done = await waitForEnd(c, id);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    expect(done.steps[0].attempts).toBe(2);
    const firstRun = ["create 200", "part 1 200", ...Array(PART_TRIES).fill("part 2 500"), "abort"];
    expect(await s3Calls(key)).toEqual([...firstRun, "create 200", "part 1 200", "part 2 200", "complete 200"]);
    expect(await digest(await s3Bytes("media", key))).toBe(await digest(bytes));
  });

  it("a part S3 refuses (4xx) is not tried again: the upload is aborted and the step fails with S3's words", async () => {
    const key = `parts/${crypto.randomUUID()}/big.bin`;
    await s3Fault({ match: [key, "partNumber=2"], status: 403, code: "AccessDenied", times: 1 });
    const { c, id } = await multipartUpload(key);
    const done = await waitForEnd(c, id);
    expect(done.status).toBe("Failed");
    expect(done.steps[0].attempts).toBe(1);
    expect(done.results[0].result).toMatch(
      /An error occurred \(AccessDenied\) when calling the UploadPart operation: /,
    );
    expect(await s3Calls(key)).toEqual(["create 200", "part 1 200", "part 2 403", "abort"]);
  });
});
