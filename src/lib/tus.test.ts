import { describe, expect, it } from "vitest";
import { parseOffset, parseUploadMetadata } from "./tus";

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
