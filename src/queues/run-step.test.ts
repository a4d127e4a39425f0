import { describe, expect, it } from "vitest";
import { fileNameFromUrl } from "./run-step";

describe("fileNameFromUrl", () => {
  it("takes the last path segment, made safe", () => {
    expect(fileNameFromUrl("https://x.test/a/b/clip%20one.mp4?sig=1")).toBe("clip_one.mp4");
    expect(fileNameFromUrl("https://x.test/")).toBe("input");
    expect(fileNameFromUrl("https://x.test/..")).toBe("input");
  });
});
