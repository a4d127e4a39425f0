import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { parseRetryAfter } from "./deliveries";
import { signatureHeaders } from "./sign";

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

describe("signatureHeaders", () => {
  const current = `whsec_${btoa("c".repeat(24))}`;
  const previous = `whsec_${btoa("p".repeat(24))}`;
  it("signs so the standard verifier accepts it", () => {
    const body = '{"status":"Succeeded"}';
    const headers = signatureHeaders({ current }, "msg_1", body);
    expect(new Webhook(current).verify(body, headers)).toEqual({ status: "Succeeded" });
  });

  it("during a rotation, receivers on either secret verify", () => {
    const body = "{}";
    const headers = signatureHeaders({ current, previous }, "msg_2", body);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toEqual({});
    expect(new Webhook(previous).verify(body, headers)).toEqual({});
    expect(() => new Webhook(`whsec_${btoa("x".repeat(24))}`).verify(body, headers)).toThrow();
  });
});
