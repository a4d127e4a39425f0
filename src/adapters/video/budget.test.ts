import { describe, expect, it } from "vitest";
import type { StepError } from "../../lib/failures";
import type { AdapterContext } from "../types";
import { type Budget, checkFrame, pickRuntime } from "./budget";

const limits = { maxVideoMb: 4, maxVideoSeconds: 120, maxFileMb: 5120, maxNativeSeconds: 1200 };
const endpoint = { fetch: async () => new Response() };
const grants = async () => ({ reads: [], upload: "" });
const ctxWith = (native: boolean) =>
  ({ limits, native: native ? { endpoint, grants } : null }) as unknown as AdapterContext;
const frame = (width: number, height: number) => (b: Budget) => checkFrame(b, "clip.mp4", { width, height });
const failureOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as StepError).failure;
  }
  throw new Error("no failure");
};

describe("pickRuntime", () => {
  it("auto: WASM when the step fits it, native when it does not and the deployment has it", () => {
    expect(pickRuntime(ctxWith(true), "auto", frame(640, 360))).toBe("wasm");
    expect(pickRuntime(ctxWith(true), "auto", frame(1920, 1080))).toBe("native");
    expect(pickRuntime(ctxWith(true), "auto", frame(3840, 2160))).toBe("native");
  });

  it("auto without native keeps WASM's own refusal; past native's limits, native's", () => {
    expect(failureOf(() => pickRuntime(ctxWith(false), "auto", frame(1920, 1080)))).toMatchObject({
      kind: "video_frame_too_large",
      runtime: "wasm",
      limit: "960×540",
    });
    expect(failureOf(() => pickRuntime(ctxWith(true), "auto", frame(7680, 4320)))).toMatchObject({
      kind: "video_frame_too_large",
      runtime: "native",
      limit: "3840×2160",
    });
  });

  it("a pinned runtime is obeyed or refused, never swapped", () => {
    expect(pickRuntime(ctxWith(true), "native", frame(640, 360))).toBe("native");
    expect(failureOf(() => pickRuntime(ctxWith(true), "wasm", frame(1920, 1080)))).toMatchObject({ runtime: "wasm" });
    expect(failureOf(() => pickRuntime(ctxWith(false), "native", frame(640, 360)))).toEqual({
      kind: "native_unavailable",
    });
  });
});
