import { describe, expect, it } from "vitest";
import { vccPayload } from "./results";

describe("vccPayload", () => {
  it("lists the steps that ran, in order; a failed step's result is its message", () => {
    const steps = [
      { name: "tg-image-compositor", state: "succeeded", results: [{ success: true }], error: null },
      { name: "tg-s3-upload", state: "failed", results: null, error: "Failed to upload x InvalidAccessKeyId" },
      { name: "tg-later", state: "skipped", results: null, error: null },
    ];
    expect(vccPayload("Failed", "e637c9ad", steps)).toEqual({
      status: "Failed",
      task_id: "e637c9ad",
      results: [
        { error: false, result: [{ success: true }], configuration: "tg-image-compositor" },
        { error: true, result: "Failed to upload x InvalidAccessKeyId", configuration: "tg-s3-upload" },
      ],
    });
  });
});
