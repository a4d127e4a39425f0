import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, mask, newWebhookSecret, type SealedSecret, timingSafeEqualText } from "./crypto";

const KEY = btoa("k".repeat(32));

describe("secrets at rest", () => {
  it("round-trips through AES-GCM with a fresh IV each time", async () => {
    const a = await encryptSecret(KEY, "wJalrXUtnFEMI");
    const b = await encryptSecret(KEY, "wJalrXUtnFEMI");
    expect(a).not.toBe(b);
    expect(a).not.toContain("wJalr");
    expect(await decryptSecret(KEY, a)).toBe("wJalrXUtnFEMI");
  });

  it("refuses a tampered ciphertext and a wrong-size key", async () => {
    const sealed = await encryptSecret(KEY, "secret");
    const tampered = sealed.slice(0, -2) + (sealed.endsWith("AA") ? "BB" : "AA");
    await expect(decryptSecret(KEY, tampered as SealedSecret)).rejects.toThrow();
    await expect(encryptSecret(btoa("short"), "x")).rejects.toThrow(/32 bytes/);
  });
});

describe("helpers", () => {
  it("masks all but the ends of long values", () => {
    expect(mask("AKIAIOSFODNN7EXAMPLE")).toBe("AKIA****MPLE");
    expect(mask("short")).toBe("****");
  });

  it("compares in constant time and still tells equal from unequal", async () => {
    expect(await timingSafeEqualText("abc", "abc")).toBe(true);
    expect(await timingSafeEqualText("abc", "abd")).toBe(false);
    expect(await timingSafeEqualText("abc", "abcd")).toBe(false);
  });

  it("makes Standard Webhooks secrets of 24 random bytes", () => {
    const s = newWebhookSecret();
    expect(s).toMatch(/^whsec_/);
    expect(atob(s.slice(6)).length).toBe(24);
  });
});
