import { describe, expect, it } from "vitest";
import { describeFailure, StepError, toFailure } from "./failures";
import type { Failure } from "../engine/types";

describe("describeFailure", () => {
  it("names the file, bucket and key of a rejected upload in VCC's wording, and does not retry it", () => {
    const detail =
      "An error occurred (InvalidAccessKeyId) when calling the PutObject operation: The AWS Access Key Id you provided does not exist in our records.";
    const f: Failure = {
      kind: "storage_rejected",
      fileName: "v.png",
      bucket: "abc",
      key: "media/1596681918.091376_v.png",
      detail,
    };
    expect(describeFailure(f)).toEqual({
      message: `Failed to upload v.png to abc/media/1596681918.091376_v.png: ${detail}`,
      retryable: false,
    });
  });

  it("retries passing trouble only", () => {
    expect(
      describeFailure({ kind: "storage_unavailable", fileName: "a", bucket: "b", key: "k", detail: "503" }).retryable,
    ).toBe(true);
    expect(
      describeFailure({ kind: "input_fetch_failed", url: "u", detail: "HTTP 404", retryable: false }).retryable,
    ).toBe(false);
    expect(describeFailure({ kind: "timed_out", seconds: 9 }).retryable).toBe(false);
  });
});

describe("toFailure", () => {
  it("keeps a StepError's reason and hides anything else behind a reference", () => {
    expect(toFailure(new StepError({ kind: "dead_lettered" }))).toEqual({ kind: "dead_lettered" });
    const f = toFailure(new TypeError("secret internal detail"));
    expect(f.kind).toBe("internal");
    expect(describeFailure(f).message).not.toContain("secret internal detail");
  });
});
