import { describe, expect, it } from "vitest";
import { checkOutboundUrl } from "./callback-url";

describe("checkOutboundUrl", () => {
  it("allows https, and http only to localhost in development", () => {
    expect(checkOutboundUrl("https://hooks.example.com/x", "f", false)).toBe("https://hooks.example.com/x");
    expect(checkOutboundUrl("http://127.0.0.1:8080/x", "f", true)).toBe("http://127.0.0.1:8080/x");
    expect(() => checkOutboundUrl("http://127.0.0.1:8080/x", "f", false)).toThrow();
    expect(() => checkOutboundUrl("https://localhost/x", "f", false)).toThrow();
    expect(() => checkOutboundUrl("http://example.com/x", "f", true)).toThrow();
    expect(() => checkOutboundUrl("ftp://example.com/x", "f", true)).toThrow();
  });
});
