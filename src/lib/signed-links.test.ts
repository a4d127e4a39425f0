import { describe, expect, it } from "vitest";
import { checkLink, linkSignature } from "./signed-links";

const KEY = btoa("k".repeat(32));
const TTL = 7 * 86_400;
const at = { client: "acme", id: "6f1c2a34-0000-4000-8000-000000000001" };

const link = async (expires: number, secret = "whsec_current", key = KEY) => ({
  ...at,
  expires,
  signature: await linkSignature(key, secret, at.client, at.id, expires),
});

describe("signed links", () => {
  it("pass within their time under any active webhook secret, and say expired after it", async () => {
    const l = await link(1_000 + TTL);
    expect(await checkLink(KEY, ["whsec_current"], l, TTL, 1_000)).toEqual({ ok: true });
    expect(await checkLink(KEY, ["whsec_new", "whsec_current"], l, TTL, 1_000)).toEqual({ ok: true });
    expect(await checkLink(KEY, ["whsec_current"], l, TTL, 1_000 + TTL)).toEqual({ ok: false, why: "expired" });
  });

  it("refuse another engine key, a rotated-out secret, another group, and a lifetime over the maximum", async () => {
    const l = await link(1_000 + TTL);
    expect(await checkLink(btoa("o".repeat(32)), ["whsec_current"], l, TTL, 1_000)).toEqual({
      ok: false,
      why: "invalid",
    });
    expect(await checkLink(KEY, ["whsec_new"], l, TTL, 1_000)).toEqual({ ok: false, why: "invalid" });
    expect(await checkLink(KEY, ["whsec_current"], { ...l, id: crypto.randomUUID() }, TTL, 1_000)).toEqual({
      ok: false,
      why: "invalid",
    });
    // Signed by the engine, but with more left than LINK_TTL_S (and the clock allowance) allows.
    const long = await link(1_000 + TTL + 3_600);
    expect(await checkLink(KEY, ["whsec_current"], long, TTL, 1_000)).toEqual({ ok: false, why: "invalid" });
  });
});
