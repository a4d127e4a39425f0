import { describe, expect, it } from "vitest";
import { applyExtras, readSubmission, taskToTaskgroupFields } from "./submission";
import { StoredFile } from "../lib/uploads";

const fields = (o: Record<string, unknown>) => new Map(Object.entries(o));

describe("readSubmission", () => {
  it("reads the seed's fields: names as a JSON string, _data files, _input and _extras", () => {
    const data = new StoredFile("k", "a.png", "image/png", 1);
    const sub = readSubmission(
      fields({
        configuration_names: '["tg-image-compositor","tg-s3-upload"]',
        "tg-image-compositor_data": data,
        "tg-image-compositor_extras": '{"additional_context":{"voucher_code":"A1"}}',
        "tg-s3-upload_input": "tg-image-compositor",
        webhook_url: "https://example.com/hook",
      }),
    );
    expect(sub.steps).toEqual([
      { name: "tg-image-compositor", data, extras: { additional_context: { voucher_code: "A1" } } },
      { name: "tg-s3-upload", input: "tg-image-compositor", extras: {} },
    ]);
    expect(sub.webhookUrl).toBe("https://example.com/hook");
  });

  it("tells apart configurations whose names share a prefix", () => {
    const sub = readSubmission(
      fields({ configuration_names: ["a", "a_b"], a_url: "https://x/1", a_b_url: "https://x/2" }),
    );
    expect(sub.steps.map((s) => s.url)).toEqual(["https://x/1", "https://x/2"]);
  });

  it("throws 422 for an _input that does not run earlier and 400 for a missing input", () => {
    expect(() => readSubmission(fields({ configuration_names: ["a", "b"], a_input: "b", b_url: "https://x" }))).toThrow(
      expect.objectContaining({ status: 422, code: "input_not_earlier" }),
    );
    expect(() => readSubmission(fields({ configuration_names: ["a"] }))).toThrow(
      expect.objectContaining({ status: 400, code: "missing_input" }),
    );
  });
});

describe("taskToTaskgroupFields", () => {
  it("maps a task's unprefixed fields onto its configuration", () => {
    const out = taskToTaskgroupFields(
      fields({ configuration_name: "c", data_url: "https://x", extras: "{}", webhook_url: "https://h" }),
    );
    expect(Object.fromEntries(out)).toEqual({
      configuration_names: ["c"],
      c_url: "https://x",
      c_extras: "{}",
      webhook_url: "https://h",
    });
  });
});

describe("applyExtras", () => {
  const chain = [
    { adapter: "s3-upload", params: { storage: "a" } },
    { adapter: "s3-upload", params: { storage: "b", key_template: "{file_name}" } },
  ];
  it("merges each key over every adapter that knows it, leaving the configuration untouched", () => {
    const { chain: merged } = applyExtras(["x"], 0, chain, {
      key_template: "k/{file_name}",
      additional_context: { a: 1 },
    });
    expect(merged.map((l) => l.params)).toEqual([
      { storage: "a", key_template: "k/{file_name}" },
      { storage: "b", key_template: "k/{file_name}" },
    ]);
    expect(chain[0]!.params).toEqual({ storage: "a" });
  });

  it("refuses keys no adapter knows", () => {
    expect(() => applyExtras(["x"], 0, chain, { colour: "red" })).toThrow(
      expect.objectContaining({ code: "unknown_extra" }),
    );
  });
});
