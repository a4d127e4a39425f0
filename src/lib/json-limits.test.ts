import { describe, expect, it } from "vitest";
import { freeJsonProblem, jsonDepth, MAX_JSON_DEPTH } from "./json-limits";

const nested = (depth: number) => JSON.parse("[".repeat(depth) + "]".repeat(depth));

describe("free-form JSON limits", () => {
  it("measures depth without recursion, even 100 000 levels deep", () => {
    expect(jsonDepth(1)).toBe(0);
    expect(jsonDepth({ a: [1, { b: 2 }] })).toBe(3);
    expect(jsonDepth(nested(100_000))).toBe(MAX_JSON_DEPTH + 1);
  });

  it("refuses what is too deep or too large, and passes the rest", () => {
    expect(freeJsonProblem(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(freeJsonProblem(nested(MAX_JSON_DEPTH + 1))).toMatch(/deeper than 32/);
    expect(freeJsonProblem({ s: "x".repeat(60_000) })).toBeNull();
    expect(freeJsonProblem({ s: "x".repeat(3_000_000) })).toMatch(/over the 64 KiB limit/);
    expect(freeJsonProblem({ s: "é".repeat(40_000) })).toMatch(/over the 64 KiB limit/); // bytes, not characters
  });
});
