/**
 * tus as browsers and stock clients use it (CORS, OPTIONS without a key, X-HTTP-Method-Override,
 * empty uploads, Location on a refused creation-with-upload), and what creation refuses (header
 * values a download could not carry, over-long names) or must keep apart (a file named like a tail).
 * The workers project allows one origin: CORS_ORIGINS = "https://app.example" (vitest.config.ts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, apiJson, newClient, putConfiguration, putStorage, submit } from "./support/api";
import { patternBytes } from "./support/pattern";
import { create, equalBytes, patch, prefixKeys, TUS } from "./support/tus";

const APP = "https://app.example";
const idOf = (path: string) => path.split("/").pop()!;
const meta = (pairs: Record<string, string>) =>
  Object.entries(pairs)
    .map(([k, v]) => `${k} ${btoa(String.fromCharCode(...new TextEncoder().encode(v)))}`)
    .join(",");

describe("tus creation refuses what it could not carry later", () => {
  it("a filetype with a line break or a non-ASCII byte: 400 invalid_filetype, and nothing is created", async () => {
    const c = await newClient("tusp");
    for (const filetype of ["text/plain\r\nX-Evil: 1", "image/pngé", "not a type"]) {
      const res = await apiJson("/api/uploads", {
        method: "POST",
        headers: { ...c.auth, ...TUS, "upload-length": "4", "upload-metadata": meta({ filetype, asset: "x.bin" }) },
      });
      expect([res.status, res.body?.error?.code], filetype).toEqual([400, "invalid_filetype"]);
      expect(res.res.headers.get("location")).toBeNull();
    }
    // A media type with parameters is a header value like any other: taken, and served back as given.
    const path = await create(c, 4, meta({ filetype: "text/plain; charset=utf-8", asset: "ok.txt" }));
    expect((await patch(c, path, 0, new TextEncoder().encode("abcd"))).status).toBe(204);
    const got = await api("/api/assets/ok.txt", { headers: c.auth });
    expect([got.status, got.headers.get("content-type"), await got.text()]).toEqual([
      200,
      "text/plain; charset=utf-8",
      "abcd",
    ]);
  });

  it("a filename over 255 bytes: 400 file_name_too_long (not 500)", async () => {
    const c = await newClient("tusp");
    const res = await apiJson("/api/uploads", {
      method: "POST",
      headers: { ...c.auth, ...TUS, "upload-length": "4", "upload-metadata": meta({ filename: "a".repeat(1000) }) },
    });
    expect([res.status, res.body?.error?.code]).toEqual([400, "file_name_too_long"]);
    const wide = await apiJson("/api/uploads", {
      method: "POST",
      headers: { ...c.auth, ...TUS, "upload-length": "4", "upload-metadata": meta({ filename: "é".repeat(128) }) },
    });
    expect([wide.status, wide.body?.error?.code]).toEqual([400, "file_name_too_long"]);
    expect((await create(c, 4, meta({ filename: "a".repeat(255) }))).length).toBeGreaterThan(0);
  });

  it("an upload named like a tail keeps its bytes when it finishes", async () => {
    const c = await newClient("tusp");
    for (const filename of [".tail", "tails"]) {
      const path = await create(c, 10, meta({ filename }));
      expect((await patch(c, path, 0, patternBytes(0, 4))).status).toBe(204);
      expect((await patch(c, path, 4, patternBytes(4, 6))).status).toBe(204);
      const key = `clients/${c.name}/uploads/${idOf(path)}/${filename}`;
      expect(await prefixKeys(`clients/${c.name}/uploads/${idOf(path)}/`), filename).toEqual([key]);
      const stored = await env.FILES.get(key);
      expect(stored && equalBytes(new Uint8Array(await stored.arrayBuffer()), patternBytes(0, 10)), filename).toBe(
        true,
      );
    }
  });
});

describe("tus as browsers and stock clients use it", () => {
  it("OPTIONS answers without an API key", async () => {
    const res = await api("/api/uploads", { method: "OPTIONS" });
    expect([res.status, res.headers.get("tus-version"), res.headers.get("tus-resumable")]).toEqual([
      204,
      "1.0.0",
      "1.0.0",
    ]);
  });

  it("CORS: a preflight from an allowed origin is answered without credentials; answers expose the tus headers", async () => {
    const c = await newClient("tusp");
    const pre = await api("/api/uploads/00000000-0000-4000-8000-000000000000", {
      method: "OPTIONS",
      headers: {
        origin: APP,
        "access-control-request-method": "PATCH",
        "access-control-request-headers": "authorization,content-type,tus-resumable,upload-offset",
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(APP);
    expect(pre.headers.get("access-control-allow-methods")).toContain("PATCH");
    const allowHeaders = pre.headers.get("access-control-allow-headers")!.toLowerCase();
    for (const h of ["authorization", "content-type", "tus-resumable", "upload-offset", "upload-length"])
      expect(allowHeaders).toContain(h);
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();

    const created = await api("/api/uploads", {
      method: "POST",
      headers: { ...c.auth, ...TUS, origin: APP, "upload-length": "3" },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("access-control-allow-origin")).toBe(APP);
    const exposed = created.headers.get("access-control-expose-headers")!.toLowerCase();
    for (const h of ["location", "upload-offset", "upload-length", "tus-resumable", "upload-expires"])
      expect(exposed).toContain(h);
    // Errors carry them too, so a page can read why it was refused.
    const refused = await api("/api/uploads", { method: "POST", headers: { ...TUS, origin: APP } });
    expect([refused.status, refused.headers.get("access-control-allow-origin")]).toEqual([401, APP]);
    // Submissions are called from pages too.
    const listed = await api("/api/taskgroup", { headers: { ...c.auth, origin: APP } });
    expect([listed.status, listed.headers.get("access-control-allow-origin")]).toEqual([200, APP]);
  });

  it("CORS: an origin not in CORS_ORIGINS gets a 403 preflight and no allow header", async () => {
    const c = await newClient("tusp");
    const pre = await apiJson("/api/uploads", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect([pre.status, pre.body?.error?.code]).toEqual([403, "origin_not_allowed"]);
    const res = await api("/api/taskgroup", { headers: { ...c.auth, origin: "https://evil.example" } });
    expect([res.status, res.headers.get("access-control-allow-origin")]).toEqual([200, null]);
  });

  it("X-HTTP-Method-Override: a POST is answered as the PATCH, HEAD or DELETE it names", async () => {
    const c = await newClient("tusp");
    const path = await create(c, 10);
    const post = (method: string, extra: Record<string, string> = {}, body?: Uint8Array) =>
      api(path, { method: "POST", headers: { ...c.auth, ...TUS, "x-http-method-override": method, ...extra }, body });
    const patched = await post(
      "PATCH",
      { "content-type": "application/offset+octet-stream", "upload-offset": "0" },
      patternBytes(0, 6),
    );
    expect([patched.status, patched.headers.get("upload-offset")]).toEqual([204, "6"]);
    const head = await post("HEAD");
    expect([head.status, head.headers.get("upload-offset"), head.headers.get("upload-length")]).toEqual([
      200,
      "6",
      "10",
    ]);
    expect(await head.text()).toBe("");
    expect((await post("DELETE")).status).toBe(204);
    expect((await api(path, { method: "HEAD", headers: { ...c.auth, ...TUS } })).status).toBe(404);
    expect((await api(path, { method: "POST", headers: { ...TUS, "x-http-method-override": "HEAD" } })).status).toBe(
      401,
    ); // the overridden request is authenticated like any other
  });

  it("Upload-Length: 0 is finished at creation, and a taskgroup takes it", async () => {
    const c = await newClient("tusp");
    const res = await api("/api/uploads", {
      method: "POST",
      headers: { ...c.auth, ...TUS, "upload-length": "0", "upload-metadata": meta({ filename: "empty.txt" }) },
    });
    expect([res.status, res.headers.get("upload-offset")]).toEqual([201, "0"]);
    const path = new URL(res.headers.get("location")!).pathname;
    const head = await api(path, { method: "HEAD", headers: { ...c.auth, ...TUS } });
    expect([head.status, head.headers.get("upload-offset"), head.headers.get("upload-expires")]).toEqual([
      200,
      "0",
      null,
    ]);
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const sub = await submit(c, { configuration_names: ["up"], up_upload: idOf(path) });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
  });

  it("creation-with-upload whose body is refused still names the upload in Location, and it resumes there", async () => {
    const c = await newClient("tusp");
    const res = await api("/api/uploads", {
      method: "POST",
      headers: {
        ...c.auth,
        ...TUS,
        "upload-length": "5",
        "content-type": "application/offset+octet-stream",
      },
      body: patternBytes(0, 9),
    });
    expect(res.status).toBe(413);
    const location = res.headers.get("location");
    expect(location).toMatch(/\/api\/uploads\/[0-9a-f-]{36}$/);
    const path = new URL(location!).pathname;
    const head = await api(path, { method: "HEAD", headers: { ...c.auth, ...TUS } });
    const at = Number(head.headers.get("upload-offset"));
    expect((await patch(c, path, at, patternBytes(at, 5 - at))).status).toBe(204);
  });
});
