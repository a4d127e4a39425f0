import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "./send";

describe("parseRetryAfter", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  it("reads seconds and HTTP dates, ignores junk and the past, caps at 12 h", () => {
    expect(parseRetryAfter("2", now)).toBe(2);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT", now)).toBe(60);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBeNull();
    expect(parseRetryAfter("999999", now)).toBe(43_200);
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
