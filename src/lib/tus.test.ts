import { describe, expect, it } from "vitest";
import { isHeaderSafeMediaType, parseOffset, parseUploadMetadata } from "./tus";

describe("parseUploadMetadata", () => {
  it("decodes base64 values and keys without values", () => {
    expect(parseUploadMetadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential")).toEqual({
      filename: "world_domination_plan.pdf",
      is_confidential: "",
    });
    expect(parseUploadMetadata(undefined)).toEqual({});
  });
  it("refuses bad base64, duplicate keys and stray spaces", () => {
    expect(parseUploadMetadata("filename !!!")).toBeNull();
    expect(parseUploadMetadata("a YQ==,a Yg==")).toBeNull();
    expect(parseUploadMetadata("a YQ== b")).toBeNull();
  });
});

describe("parseOffset", () => {
  it("takes non-negative integers only", () => {
    expect(parseOffset("0")).toBe(0);
    expect(parseOffset("1073741824")).toBe(1073741824);
    expect(parseOffset("-1")).toBeNull();
    expect(parseOffset("1.5")).toBeNull();
    expect(parseOffset(undefined)).toBeNull();
  });
});

describe("isHeaderSafeMediaType", () => {
  it("takes media types with parameters", () => {
    expect(isHeaderSafeMediaType("video/mp4")).toBe(true);
    expect(isHeaderSafeMediaType("text/plain; charset=utf-8")).toBe(true);
    expect(isHeaderSafeMediaType('multipart/mixed; boundary="a b"')).toBe(true);
    expect(isHeaderSafeMediaType("application/vnd.ms-excel")).toBe(true);
  });
  it("refuses what a header cannot carry or is not a media type", () => {
    expect(isHeaderSafeMediaType("text/plain\r\nX-Evil: 1")).toBe(false);
    expect(isHeaderSafeMediaType("text/plain\n")).toBe(false);
    expect(isHeaderSafeMediaType("image/pngé")).toBe(false);
    expect(isHeaderSafeMediaType("video")).toBe(false);
    expect(isHeaderSafeMediaType("")).toBe(false);
    expect(isHeaderSafeMediaType(`a/${"b".repeat(300)}`)).toBe(false);
  });
});
