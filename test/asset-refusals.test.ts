/** A refused asset PUT leaves the asset it would have replaced as it was. */
import { describe, expect, it } from "vitest";
import { api, apiJson, newClient } from "./support/api";

describe("a refused asset PUT", () => {
  it("an empty body (raw or as the multipart file) is refused with 400 and the existing asset stays", async () => {
    const c = await newClient("asset");
    const put = await apiJson("/api/assets/logo.bin", {
      method: "PUT",
      headers: { ...c.auth, "content-type": "application/octet-stream" },
      body: "the logo",
    });
    expect(put.status).toBe(201);
    const empty = await apiJson("/api/assets/logo.bin", {
      method: "PUT",
      headers: { ...c.auth, "content-type": "application/octet-stream" },
      body: "",
    });
    expect([empty.status, empty.body?.error?.code]).toEqual([400, "empty_file"]);
    const form = new FormData();
    form.append("file", new File([], "logo.bin"));
    const emptyPart = await apiJson("/api/assets/logo.bin", { method: "PUT", headers: c.auth, body: form });
    expect([emptyPart.status, emptyPart.body?.error?.code]).toEqual([400, "empty_file"]);
    const got = await api("/api/assets/logo.bin", { headers: c.auth });
    expect([got.status, await got.text()]).toEqual([200, "the logo"]);
    const listed = await apiJson("/api/assets", { headers: c.auth });
    expect(listed.body.assets.map((a: { name: string; size: number }) => [a.name, a.size])).toEqual([["logo.bin", 8]]);
  });
});
