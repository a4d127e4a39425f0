/**
 * Requests that once got through: each is refused, bounded or answered safely now. The outbound
 * address rules themselves are unit-tested in src/lib/outbound-url.test.ts; here they meet real
 * redirects from a real HTTP server.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  api,
  apiJson,
  file,
  jsonInit,
  newClient,
  putConfiguration,
  putStorage,
  s3Bytes,
  submit,
  waitForEnd,
  type TestClient,
} from "./support/api";
import { patternBytes } from "./support/pattern";

let c: TestClient;
const receiver = () => inject("receiverUrl");

beforeAll(async () => {
  c = await newClient("hard");
  await putStorage(c, "s");
  await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
});

async function fetchInto(url: string) {
  const { status, body } = await submit(c, { configuration_names: ["up"], up_url: url });
  expect(status, JSON.stringify(body)).toBe(202);
  return waitForEnd(c, body.task_id);
}

const taskgroupCount = async () =>
  (await apiJson("/api/taskgroup", { headers: c.auth })).body.taskgroups.length as number;

describe("storage targets send requests only where they say", () => {
  it("a region that would move the host name is refused", async () => {
    const target = { name: "r", type: "s3", bucket: "media", access_key_id: "a", secret_access_key: "b" };
    for (const region of ["x@169.254.169.254/?", "us-east-1.evil.example/?", "EU-WEST-1", "eu west 1"]) {
      const res = await apiJson("/api/storage", jsonInit("POST", { ...target, region }, c.auth));
      expect(res.status, region).toBe(400);
      expect(res.body.error.message, region).toMatch(/^region: a region is lowercase letters, digits and dashes/);
    }
    expect((await apiJson("/api/storage", jsonInit("POST", { ...target, region: "eu-west-1" }, c.auth))).status).toBe(
      201,
    );
  });

  it("a redirect from the endpoint is not followed: the upload fails and names it", async () => {
    await putStorage(c, "bouncy", { endpoint: `${receiver()}/bounce` });
    await putConfiguration(c, "up-bouncy", { adapter: "s3-upload", params: { storage: "bouncy" } });
    const form = new FormData();
    form.set("configuration_names", '["up-bouncy"]');
    form.set("up-bouncy_data", file("x", "x.bin"));
    const { body } = await submit(c, form);
    const done = await waitForEnd(c, body.task_id);
    expect([done.status, done.steps[0].attempts]).toEqual(["Failed", 1]);
    expect(done.results[0].result).toMatch(
      /^Failed to upload x\.bin to media\/\S+_x\.bin: An error occurred \(307\) when calling the PutObject operation: redirected to http:\/\/169\.254\.169\.254\/latest\/meta-data\/, which Cascade does not follow \(check the region and endpoint\)$/,
    );
  });
});

describe("`_url` inputs: every redirect hop passes the rules the URL passed", () => {
  it("a redirect to the cloud metadata address is refused, not followed", async () => {
    const done = await fetchInto(
      `${receiver()}/redirect?to=${encodeURIComponent("http://169.254.169.254/latest/meta-data/")}`,
    );
    expect([done.status, done.steps[0].attempts]).toEqual(["Failed", 1]);
    expect(done.results[0].result).toMatch(/: redirected to http:\/\/169\.254\.169\.254, which must be an https URL/);
  });

  it("redirects are bounded", async () => {
    const done = await fetchInto(`${receiver()}/loop`);
    expect([done.status, done.steps[0].attempts]).toEqual(["Failed", 1]);
    expect(done.results[0].result).toBe(`Could not fetch the input from ${receiver()}/loop: more than 5 redirects`);
  });

  it("a redirect within the rules is followed, and the file arrives whole", async () => {
    const done = await fetchInto(
      `${receiver()}/redirect?to=${encodeURIComponent(`${receiver()}/bytes/70000/clip.bin`)}`,
    );
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    expect(await s3Bytes("media", done.results[0].result[0].file_key)).toEqual(patternBytes(0, 70_000));
  });

  it("a malformed % escape in the URL's path names the file as written, not an internal error", async () => {
    const done = await fetchInto(`${receiver()}/bytes/100/clip%zz.bin`);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    expect(done.results[0].result[0].file_key).toMatch(/_clip_zz\.bin$/);
  });
});

describe("free-form JSON is bounded in size and depth", () => {
  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

  it("custom_data or additional_context over 64 KiB answers 400 (a 3 MB body 413), not 500, and stores nothing", async () => {
    const before = await taskgroupCount();
    const url = `${receiver()}/bytes/10`;
    const huge = await submit(c, {
      configuration_names: ["up"],
      up_url: url,
      custom_data: { s: "x".repeat(3_000_000) },
    });
    expect([huge.status, huge.body.error.code]).toEqual([413, "payload_too_large"]);
    const big = { s: "x".repeat(300_000) };
    const custom = await submit(c, { configuration_names: ["up"], up_url: url, custom_data: big });
    expect([custom.status, custom.body.error.code]).toEqual([400, "invalid_custom_data"]);
    expect(custom.body.error.message).toMatch(/^custom_data is \d+ KiB, over the 64 KiB limit\.$/);
    await putConfiguration(c, "card", { adapter: "image-compositor", params: {} });
    const extras = await submit(c, {
      configuration_names: ["card"],
      card_url: url,
      card_extras: { additional_context: big },
    });
    expect([extras.status, extras.body.error.code]).toEqual([400, "invalid_extras"]);
    // In a multipart form too (a text field is cut at 1 MB; 100 KB is within that, over this).
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("x", "x.bin"));
    form.set("custom_data", JSON.stringify({ s: "x".repeat(100_000) }));
    expect((await submit(c, form)).body.error.code).toBe("invalid_custom_data");
    expect(await taskgroupCount()).toBe(before);
  });

  it("JSON nested 100 000 deep answers 400: as a body, in a multipart field, as configuration params", async () => {
    const before = await taskgroupCount();
    const body = `{"configuration_names":["up"],"up_url":"${receiver()}/bytes/10","custom_data":${deep(100_000)}}`;
    const res = await apiJson("/api/taskgroup", {
      method: "POST",
      headers: { ...c.auth, "content-type": "application/json" },
      body,
    });
    expect([res.status, res.body.error.code]).toEqual([400, "json_too_deep"]);
    // A multipart field holds JSON text: parsed, then measured the same way.
    const form = new FormData();
    form.set("configuration_names", '["up"]');
    form.set("up_data", file("x", "x.bin"));
    form.set("up_extras", `{"a":${deep(100_000)}}`);
    const extras = await submit(c, form);
    expect([extras.status, extras.body.error.message]).toEqual([400, "up_extras nests deeper than 32 levels."]);
    const config = `{"adapter":"image-compositor","params":{"additional_context":{"a":${deep(100_000)}}}}`;
    const put = await apiJson("/api/configurations/deep", {
      method: "PUT",
      headers: { ...c.auth, "content-type": "application/json" },
      body: config,
    });
    expect(put.status).toBe(400);
    expect(await taskgroupCount()).toBe(before);
  });
});

describe("stored files are served as data", () => {
  it("an HTML asset is neither sniffed nor allowed to run script on the API's origin", async () => {
    const html = "<script>alert(document.cookie)</script>";
    expect(
      (
        await api("/api/assets/page.html", {
          method: "PUT",
          headers: { ...c.auth, "content-type": "text/html" },
          body: html,
        })
      ).status,
    ).toBe(201);
    const res = await api("/api/assets/page.html", { headers: c.auth });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(html);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("sandbox");
  });
});
