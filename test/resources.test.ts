import { inject, describe, expect, it } from "vitest";
import { api, apiJson, jsonInit, newClient, putStorage } from "./support/api";

describe("configurations", () => {
  it("creates, replaces, lists, reads and deletes", async () => {
    const c = await newClient();
    const one = { adapter: "s3-upload", params: { storage: "x" } };
    const created = await apiJson("/api/configurations/up", jsonInit("PUT", one, c.auth));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "up", ...one });
    const chain = { chain: [one, { adapter: "s3-upload", params: { storage: "y", key_template: "{file_name}" } }] };
    expect((await apiJson("/api/configurations/up", jsonInit("PUT", chain, c.auth))).status).toBe(200);
    expect((await apiJson("/api/configurations/up", { headers: c.auth })).body).toMatchObject({ name: "up", ...chain });
    const list = await apiJson("/api/configurations", { headers: c.auth });
    expect(list.body.configurations.map((x: any) => x.name)).toEqual(["up"]);
    expect((await api("/api/configurations/up", { method: "DELETE", headers: c.auth })).status).toBe(204);
    const gone = await apiJson("/api/configurations/up", { headers: c.auth });
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toContain("'up'");
  });

  it("validates the adapter and its params at PUT time", async () => {
    const c = await newClient();
    const cases: [unknown, string, string][] = [
      [{ adapter: "no-such-adapter", params: {} }, "unknown_adapter", "no-such-adapter"],
      [{ adapter: "s3-upload", params: {} }, "invalid_params", "storage"],
      [{ adapter: "s3-upload", params: { storage: "x", colour: "red" } }, "invalid_params", "colour"],
      [
        {
          chain: [
            { adapter: "s3-upload", params: { storage: "x" } },
            { adapter: "s3-upload", params: { storage: 5 } },
          ],
        },
        "invalid_params",
        "chain[1]",
      ],
      [{ chain: [] }, "invalid_request", "chain"],
      [{ adapter: "s3-upload", params: { storage: "x" }, chain: [] }, "invalid_request", ""],
    ];
    for (const [body, code, mention] of cases) {
      const res = await apiJson("/api/configurations/bad", jsonInit("PUT", body, c.auth));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toContain(mention);
    }
    const badName = await apiJson(
      "/api/configurations/Bad%20Name",
      jsonInit("PUT", { adapter: "s3-upload", params: { storage: "x" } }, c.auth),
    );
    expect(badName.status).toBe(400);
    const malformed = await apiJson("/api/configurations/x", {
      method: "PUT",
      headers: { ...c.auth, "content-type": "application/json" },
      body: "{nope",
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("bad_request");
    expect((await apiJson("/api/configurations", { headers: c.auth })).body.configurations).toEqual([]);
  });
});

describe("assets", () => {
  it("stores raw and multipart uploads in R2 under the client's prefix and serves them back", async () => {
    const c = await newClient();
    const raw = await apiJson("/api/assets/logo.png", {
      method: "PUT",
      headers: { ...c.auth, "content-type": "image/png" },
      body: "PNGDATA",
    });
    expect(raw.status).toBe(201);
    expect(raw.body).toMatchObject({ name: "logo.png", size: 7, content_type: "image/png" });
    const form = new FormData();
    form.set("file", new File(["outro bytes"], "outro.mp4", { type: "video/mp4" }));
    const multi = await apiJson("/api/assets/outro.mp4", { method: "PUT", headers: c.auth, body: form });
    expect(multi.status).toBe(201);
    expect(multi.body).toMatchObject({ name: "outro.mp4", size: 11, content_type: "video/mp4" });
    const list = await apiJson("/api/assets", { headers: c.auth });
    expect(list.body.assets.map((a: any) => [a.name, a.size])).toEqual([
      ["logo.png", 7],
      ["outro.mp4", 11],
    ]);
    const get = await api("/api/assets/outro.mp4", { headers: c.auth });
    expect(get.headers.get("content-type")).toBe("video/mp4");
    expect(await get.text()).toBe("outro bytes");
    expect((await api("/api/assets/outro.mp4", { method: "DELETE", headers: c.auth })).status).toBe(204);
    expect((await api("/api/assets/outro.mp4", { headers: c.auth })).status).toBe(404);
  });

  it("refuses bad names, empty files, a multipart body without 'file', and oversized bodies", async () => {
    const c = await newClient();
    expect((await apiJson("/api/assets/..%2Fescape", { method: "PUT", headers: c.auth, body: "x" })).status).toBe(400);
    const empty = await apiJson("/api/assets/empty.bin", { method: "PUT", headers: c.auth, body: "" });
    expect([empty.status, empty.body.error.code]).toEqual([400, "empty_file"]);
    const form = new FormData();
    form.set("other", "x");
    const nofile = await apiJson("/api/assets/a.bin", { method: "PUT", headers: c.auth, body: form });
    expect([nofile.status, nofile.body.error.code]).toEqual([400, "missing_file"]);
    const big = await apiJson("/api/assets/big.bin", {
      method: "PUT",
      headers: c.auth,
      body: new Uint8Array(13 * 1024 * 1024),
    });
    expect([big.status, big.body.error.code]).toEqual([413, "payload_too_large"]);
    expect((await apiJson("/api/assets", { headers: c.auth })).body.assets).toEqual([]);
  });
});

describe("storage targets", () => {
  it("encrypts secrets at rest and masks them on read", async () => {
    const c = await newClient();
    const body = {
      name: "abc-uploads",
      type: "s3",
      region: "eu-west-1",
      endpoint: inject("s3Endpoint"),
      bucket: "media",
      prefix: "xpkit/vcc",
      access_key_id: "AKIAIOSFODNN7EXAMPLE",
      secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    };
    const created = await apiJson("/api/storage", jsonInit("POST", body, c.auth));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "abc-uploads",
      access_key_id: "AKIA****MPLE",
      secret_access_key: "****",
      bucket: "media",
    });
    expect(JSON.stringify(created.body)).not.toContain("EXAMPLEKEY");
    const read = await apiJson("/api/storage/abc-uploads", { headers: c.auth });
    expect(read.body.access_key_id).toBe("AKIA****MPLE");
    const listed = await apiJson("/api/storage", { headers: c.auth });
    expect(JSON.stringify(listed.body)).not.toContain("wJalr");
    const replaced = await apiJson(
      "/api/storage/abc-uploads",
      jsonInit("PUT", { ...body, name: undefined, bucket: "archive" }, c.auth),
    );
    expect([replaced.status, replaced.body.bucket]).toEqual([200, "archive"]);
    expect((await api("/api/storage/abc-uploads", { method: "DELETE", headers: c.auth })).status).toBe(204);
    expect((await api("/api/storage/abc-uploads", { headers: c.auth })).status).toBe(404);
  });

  it("takes AuroraCloud's add_storage body as its users send it: OSS keys, region, no name", async () => {
    const c = await newClient();
    const seed = {
      type: "oss",
      bucket: "conference.media",
      region: "oss-cn-hangzhou",
      storage_ak: "LTAI5tExampleAccessKey",
      storage_sk: "ExampleSecretKeyExampleSecret",
    };
    const created = await apiJson("/api/storage", jsonInit("POST", seed, c.auth));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: "oss-conference-media",
      type: "oss",
      region: "cn-hangzhou",
      endpoint: "https://oss-cn-hangzhou.aliyuncs.com",
      addressing: "virtual",
      bucket: "conference.media",
      access_key_id: "LTAI****sKey",
      secret_access_key: "****",
    });
    expect(JSON.stringify(created.body)).not.toContain("ExampleSecret");
    expect(created.body).not.toHaveProperty("storage_ak");
    // The same body again replaces the same target.
    expect((await apiJson("/api/storage", jsonInit("POST", seed, c.auth))).status).toBe(200);
    for (const body of [
      { ...seed, storage_sk: undefined },
      { ...seed, storage_ak: "" },
      { ...seed, region: "oss-cn-hangzhou.evil.com" },
    ]) {
      const res = await apiJson("/api/storage", jsonInit("POST", body, c.auth));
      expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([400, "invalid_request"]);
    }
  });

  it("refuses invalid targets with 400", async () => {
    const c = await newClient();
    await putStorage(c, "ok");
    const base = { name: "t", type: "s3", bucket: "media", access_key_id: "a", secret_access_key: "b" };
    for (const body of [
      { ...base, type: "ftp" },
      { ...base, bucket: "Not A Bucket" },
      { ...base, endpoint: "ftp://example.com" },
      { ...base, secret_access_key: undefined },
      { ...base, surprise: true },
    ]) {
      const res = await apiJson("/api/storage", jsonInit("POST", body, c.auth));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    }
    const local = await apiJson(
      "/api/storage",
      jsonInit("POST", { ...base, endpoint: "http://192.168.1.10:9000" }, c.auth),
    );
    expect([local.status, local.body.error.code]).toEqual([400, "invalid_url"]);
    const mismatch = await apiJson("/api/storage/one", jsonInit("PUT", { ...base, name: "two" }, c.auth));
    expect([mismatch.status, mismatch.body.error.code]).toEqual([400, "name_mismatch"]);
  });
});
