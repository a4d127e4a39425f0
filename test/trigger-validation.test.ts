import { beforeAll, describe, expect, it } from "vitest";
import { DRAIN_LIMIT_BYTES } from "../src/lib/body-guard";
import { api, apiJson, file, newClient, putConfiguration, putStorage, submit, type TestClient } from "./support/api";

let c: TestClient;

beforeAll(async () => {
  c = await newClient("v");
  await putStorage(c, "store");
  await putConfiguration(c, "first", { adapter: "s3-upload", params: { storage: "store" } });
  await putConfiguration(c, "second", { adapter: "s3-upload", params: { storage: "store" } });
});

function form(fields: Record<string, string | File>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

const names = JSON.stringify(["first", "second"]);
const data = () => file("bytes", "in.bin");

describe("triggering: every bad input gets its status and a JSON error, and starts nothing", () => {
  const cases: [string, () => FormData | Record<string, unknown>, number, string][] = [
    ["configuration_names missing", () => form({ first_data: data() }), 400, "missing_field"],
    [
      "configuration_names not JSON",
      () => form({ configuration_names: "[first", first_data: data() }),
      400,
      "malformed_json",
    ],
    ["configuration_names empty", () => form({ configuration_names: "[]" }), 400, "invalid_configuration_names"],
    ["configuration_names not an array", () => ({ configuration_names: "first" }), 400, "malformed_json"],
    [
      "configuration_names with a bad name",
      () => ({ configuration_names: ["Bad!"] }),
      400,
      "invalid_configuration_names",
    ],
    [
      "a configuration twice",
      () => form({ configuration_names: '["first","first"]', first_data: data() }),
      400,
      "duplicate_configuration",
    ],
    [
      "too many configurations",
      () => ({ configuration_names: Array.from({ length: 51 }, (_, i) => `c${i}`) }),
      400,
      "too_many_steps",
    ],
    [
      "unknown configuration",
      () => form({ configuration_names: '["first","nope"]', first_data: data(), nope_input: "first" }),
      404,
      "configuration_not_found",
    ],
    ["missing input", () => form({ configuration_names: names, first_data: data() }), 400, "missing_input"],
    [
      "two inputs",
      () => form({ configuration_names: names, first_data: data(), second_data: data(), second_input: "first" }),
      400,
      "multiple_inputs",
    ],
    [
      "_input naming a later configuration",
      () => form({ configuration_names: names, first_input: "second", second_data: data() }),
      422,
      "input_not_earlier",
    ],
    [
      "_input naming itself",
      () => form({ configuration_names: names, first_data: data(), second_input: "second" }),
      422,
      "input_not_earlier",
    ],
    [
      "_input naming a configuration not in the group",
      () => form({ configuration_names: names, first_data: data(), second_input: "third" }),
      422,
      "input_not_earlier",
    ],
    [
      "_override naming a later configuration",
      () =>
        form({
          configuration_names: names,
          first_data: data(),
          first_extras: '{"overlay_file_name_override":"second"}',
          second_input: "first",
        }),
      422,
      "input_not_earlier",
    ],
    [
      "_override of a param that is not an asset",
      () =>
        form({
          configuration_names: names,
          first_data: data(),
          second_input: "first",
          second_extras: '{"storage_override":"first"}',
        }),
      400,
      "invalid_override",
    ],
    [
      "extras not JSON",
      () => form({ configuration_names: names, first_data: data(), first_extras: "{x", second_input: "first" }),
      400,
      "malformed_json",
    ],
    [
      "extras not an object",
      () => form({ configuration_names: names, first_data: data(), first_extras: "[1]", second_input: "first" }),
      400,
      "invalid_extras",
    ],
    [
      "extras with an unknown key",
      () =>
        form({
          configuration_names: names,
          first_data: data(),
          first_extras: '{"colour":"red"}',
          second_input: "first",
        }),
      400,
      "unknown_extra",
    ],
    [
      "extras with a bad value",
      () =>
        form({ configuration_names: names, first_data: data(), first_extras: '{"storage":5}', second_input: "first" }),
      400,
      "invalid_params",
    ],
    [
      "an unknown field",
      () => form({ configuration_names: names, first_data: data(), second_input: "first", frist_data: data() }),
      400,
      "unknown_field",
    ],
    [
      "_data that is not a file",
      () => form({ configuration_names: names, first_data: "text", second_input: "first" }),
      400,
      "invalid_data",
    ],
    ["_data in a JSON body", () => ({ configuration_names: ["first"], first_data: "aGVsbG8=" }), 400, "invalid_data"],
    [
      "webhook_url not https",
      () =>
        form({
          configuration_names: names,
          first_data: data(),
          second_input: "first",
          webhook_url: "ftp://example.com/hook",
        }),
      400,
      "invalid_url",
    ],
    [
      "webhook_url plain http to a public host",
      () =>
        form({
          configuration_names: names,
          first_data: data(),
          second_input: "first",
          webhook_url: "http://example.com/hook",
        }),
      400,
      "invalid_url",
    ],
    [
      "webhook_url not a URL",
      () => ({ configuration_names: ["first"], first_url: "https://example.com/a.mp4", webhook_url: "not a url" }),
      400,
      "invalid_url",
    ],
    ["_url not a URL", () => ({ configuration_names: ["first"], first_url: "file:///etc/passwd" }), 400, "invalid_url"],
    [
      "content_id not a string",
      () => ({ configuration_names: ["first"], first_url: "https://example.com/a.mp4", content_id: { a: 1 } }),
      400,
      "invalid_field",
    ],
  ];

  for (const [what, body, status, code] of cases) {
    it(what, async () => {
      const res = await submit(c, body());
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(typeof res.body.error.message).toBe("string");
    });
  }

  it("a task takes configuration_name, data, data_url and extras", async () => {
    const missing = await submit(c, form({ data: data() }), "task");
    expect([missing.status, missing.body.error.code]).toEqual([400, "missing_field"]);
    const both = await submit(
      c,
      form({ configuration_name: "first", data: data(), data_url: "https://example.com/x" }),
      "task",
    );
    expect([both.status, both.body.error.code]).toEqual([400, "multiple_inputs"]);
    const unknown = await submit(c, form({ configuration_name: "zzz", data: data() }), "task");
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "configuration_not_found"]);
  });

  it("refuses other media types, malformed JSON and malformed multipart", async () => {
    const text = await apiJson("/api/taskgroup/", {
      method: "POST",
      headers: { ...c.auth, "content-type": "text/plain" },
      body: "hi",
    });
    expect([text.status, text.body.error.code]).toEqual([415, "unsupported_media_type"]);
    const json = await apiJson("/api/taskgroup/", {
      method: "POST",
      headers: { ...c.auth, "content-type": "application/json" },
      body: "{oops",
    });
    expect([json.status, json.body.error.code]).toEqual([400, "malformed_json"]);
    const multi = await apiJson("/api/taskgroup/", {
      method: "POST",
      headers: { ...c.auth, "content-type": "multipart/form-data; boundary=xyz" },
      // A field a submission has (an unknown one is refused from its header, before its body is read).
      body: '--xyz\r\nContent-Disposition: form-data; name="custom_data"\r\n\r\nunterminated',
    });
    expect([multi.status, multi.body.error.code]).toEqual([400, "malformed_multipart"]);
  });

  it("refuses a body over the upload cap with 413 from its Content-Length", async () => {
    const big = form({
      configuration_names: '["first"]',
      first_data: file(new Uint8Array(13 * 1024 * 1024), "big.bin"),
    });
    const res = await submit(c, big);
    expect([res.status, res.body.error.code]).toEqual([413, "payload_too_large"]);
    expect(res.body.error.details.limit_bytes).toBe(12 * 1024 * 1024);
  });

  it("refuses a JSON body over 1 MB with 413, counted while read when it is chunked", async () => {
    const big = JSON.stringify({
      configuration_names: ["first"],
      first_url: "https://example.com/a",
      custom_data: { pad: "x".repeat(1024 * 1024) },
    });
    const declared = await apiJson("/api/taskgroup/", {
      method: "POST",
      headers: { ...c.auth, "content-type": "application/json" },
      body: big,
    });
    expect([declared.status, declared.body.error.code]).toEqual([413, "payload_too_large"]);
    // No Content-Length: the cap is counted on the bytes read, and reading stops there.
    let pulled = 0;
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 8 * 1024 * 1024) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const chunked = await apiJson("/api/configurations/huge", {
      method: "PUT",
      headers: { ...c.auth, "content-type": "application/json" },
      body: endless,
      duplex: "half",
    } as RequestInit);
    expect([chunked.status, chunked.body.error.code]).toEqual([413, "payload_too_large"]);
    expect(chunked.body.error.details.limit_bytes).toBe(1024 * 1024);
    // The app stopped at 1 MB; what follows is only discarded by the body guard, up to its bound, so
    // the connection survives (src/lib/body-guard.ts): never the 8 MB the sender would give.
    expect(pulled).toBeLessThan(2 * 1024 * 1024 + DRAIN_LIMIT_BYTES);
    expect((await api("/api/configurations/huge", { headers: c.auth })).status).toBe(404);
  });

  it("none of the refused submissions created a taskgroup", async () => {
    const list = await apiJson("/api/taskgroup", { headers: c.auth });
    expect(list.body.taskgroups).toEqual([]);
  });
});

describe("Idempotency-Key", () => {
  it("returns the first answer for a repeat and 409 for a different body under the same key", async () => {
    const d = await newClient("idem");
    await putStorage(d, "store");
    await putConfiguration(d, "up", { adapter: "s3-upload", params: { storage: "store" } });
    const body = () => form({ configuration_names: '["up"]', up_data: file("same", "same.txt") });
    const key = { "idempotency-key": "order-42" };
    const first = await submit(d, body(), "taskgroup", key);
    const again = await submit(d, body(), "taskgroup", key);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.task_id).toBe(first.body.task_id);
    const other = await submit(
      d,
      form({ configuration_names: '["up"]', up_data: file("different", "other.txt") }),
      "taskgroup",
      key,
    );
    expect([other.status, other.body.error.code]).toEqual([409, "idempotency_conflict"]);
    const list = await apiJson("/api/taskgroup", { headers: d.auth });
    expect(list.body.taskgroups.map((t: any) => t.task_id)).toEqual([first.body.task_id]);
  });
});

it("unknown routes answer a JSON 404", async () => {
  const res = await api("/api/nothing-here", { headers: c.auth });
  expect(res.status).toBe(404);
  expect(((await res.json()) as any).error.code).toBe("not_found");
});
