import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { signatureHeaders } from "./sign";

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
