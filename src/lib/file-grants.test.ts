import { describe, expect, it } from "vitest";
import { checkGrant, MAX_GRANT_S, mintGrant } from "./file-grants";

const KEY = btoa("k".repeat(32));
const grant = { op: "write" as const, client: "acme", key: "clients/acme/taskgroups/t/outputs/s/", exp: 2_000 };

describe("file grants", () => {
  it("round-trips within their time, and say expired after it", async () => {
    const token = await mintGrant(KEY, grant);
    expect(await checkGrant(KEY, token, 1_000)).toEqual({ ok: true, grant });
    expect(await checkGrant(KEY, token, 2_000)).toEqual({ ok: false, why: "expired" });
  });

  it("refuse another key, an altered payload, a lifetime over the maximum, and keys outside the client", async () => {
    const token = await mintGrant(KEY, grant);
    expect(await checkGrant(btoa("o".repeat(32)), token, 1_000)).toEqual({ ok: false, why: "invalid" });
    const [, mac] = token.split(".");
    const forged = btoa(JSON.stringify({ ...grant, client: "other" })).replace(/=+$/, "");
    expect(await checkGrant(KEY, `${forged}.${mac}`, 1_000)).toEqual({ ok: false, why: "invalid" });
    expect(await checkGrant(KEY, token, 2_000 - MAX_GRANT_S - 1)).toEqual({ ok: false, why: "invalid" });
    const outside = await mintGrant(KEY, { ...grant, key: "clients/other/assets/" });
    expect(await checkGrant(KEY, outside, 1_000)).toEqual({ ok: false, why: "invalid" });
    for (const junk of ["", "a", "a.b.c", "!!.!!"]) expect((await checkGrant(KEY, junk, 1_000)).ok).toBe(false);
  });
});
