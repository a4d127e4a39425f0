/**
 * Files of any size: streamed submissions and asset PUTs counted as they are read, tus 1.0 uploads
 * (core, creation, creation-with-upload, termination, expiration), and streamed `_url` imports.
 * The 95 MB submission and the interrupted tus-js-client upload run against `npm run dev` (e2e).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { ClientStore } from "../src/durable/client-store";
import { clientStore } from "../src/lib/stubs";
import { api, apiJson, newClient, putConfiguration, putStorage, s3Bytes, submit, waitForEnd } from "./support/api";
import { patternBytes } from "./support/pattern";
import { create, equalBytes, patch, prefixKeys, TUS } from "./support/tus";

const MB = 1024 * 1024;

/** A body that is generated as it is read (no Content-Length), reporting how much was pulled. */
function lazyBody(total: number, head?: Uint8Array) {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head) controller.enqueue(head);
    },
    pull(controller) {
      if (pulled >= total) return controller.close();
      const n = Math.min(256 * 1024, total - pulled);
      controller.enqueue(patternBytes(pulled, n));
      pulled += n;
    },
  });
  return { stream, pulled: () => pulled };
}

describe("streamed submissions", () => {
  it("a chunked body over the limit is refused with 413 before the rest is read, and nothing stays stored", async () => {
    const c = await newClient("big");
    await putStorage(c, "s");
    await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
    const boundary = "----cascade-test";
    const head = new TextEncoder().encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="configuration_names"\r\n\r\n["up"]\r\n--${boundary}\r\nContent-Disposition: form-data; name="up_data"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const file = lazyBody(40 * MB, head); // the limit in tests is 12 MB
    const res = await apiJson("/api/taskgroup/", {
      method: "POST",
      headers: { ...c.auth, "content-type": `multipart/form-data; boundary=${boundary}` },
      body: file.stream,
      duplex: "half",
    } as RequestInit);
    expect([res.status, res.body.error.code]).toEqual([413, "payload_too_large"]);
    expect(file.pulled()).toBeLessThan(20 * MB);
    expect(await prefixKeys(`clients/${c.name}/`)).toEqual([]);
    expect((await apiJson("/api/taskgroup", { headers: c.auth })).body.taskgroups).toEqual([]);
  });

  it("a chunked asset PUT is streamed and counted: within the limit stored byte for byte, over it 413", async () => {
    const c = await newClient("big");
    const ok = lazyBody(7 * MB);
    const put = await apiJson("/api/assets/seven.bin", {
      method: "PUT",
      headers: c.auth,
      body: ok.stream,
      duplex: "half",
    } as RequestInit);
    expect(put.status).toBe(201);
    expect(put.body.size).toBe(7 * MB);
    const back = new Uint8Array(await (await api("/api/assets/seven.bin", { headers: c.auth })).arrayBuffer());
    expect(equalBytes(back, patternBytes(0, 7 * MB))).toBe(true);
    const over = lazyBody(40 * MB);
    const res = await apiJson("/api/assets/huge.bin", {
      method: "PUT",
      headers: c.auth,
      body: over.stream,
      duplex: "half",
    } as RequestInit);
    expect([res.status, res.body.error.code]).toEqual([413, "payload_too_large"]);
    expect(over.pulled()).toBeLessThan(20 * MB);
    expect((await apiJson("/api/assets", { headers: c.auth })).body.assets.map((a: any) => a.name)).toEqual([
      "seven.bin",
    ]);
  });
});

describe("resumable uploads (tus 1.0)", () => {
  it("takes a file in uneven pieces, reports its offset, and a taskgroup uses it byte for byte", async () => {
    const c = await newClient("tus");
    await putStorage(c, "s");
    await putConfiguration(c, "up", {
      adapter: "s3-upload",
      params: { storage: "s", key_template: "{prefix}/{file_name}" },
    });
    const total = 13 * MB + 12_345;
    const data = patternBytes(0, total);
    const path = await create(c, total, `filename ${btoa("talk.mp4")},filetype ${btoa("video/mp4")}`);
    const cuts = [0, 3 * MB + 7, 9 * MB + 1, total];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const res = await patch(c, path, cuts[i]!, data.subarray(cuts[i]!, cuts[i + 1]!));
      expect(res.status).toBe(204);
      expect(res.headers.get("upload-offset")).toBe(String(cuts[i + 1]));
      expect(res.headers.get("tus-resumable")).toBe("1.0.0");
      if (i === 0) {
        const head = await api(path, { method: "HEAD", headers: { ...c.auth, ...TUS } });
        expect([
          head.status,
          head.headers.get("upload-offset"),
          head.headers.get("upload-length"),
          head.headers.get("cache-control"),
        ]).toEqual([200, String(cuts[1]), String(total), "no-store"]);
      }
    }
    const id = path.split("/").pop()!;
    const sub = await submit(c, { configuration_names: ["up"], up_upload: id });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    const done = await waitForEnd(c, sub.body.task_id);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    expect(done.results[0].result[0].file_key).toBe(`cascade/${c.name}/talk.mp4`);
    expect(equalBytes(await s3Bytes("media", done.results[0].result[0].file_key), data)).toBe(true);
  });

  it("creation-with-upload, the asset extension, and OPTIONS", async () => {
    const c = await newClient("tus");
    const options = await api("/api/uploads", { method: "OPTIONS", headers: c.auth });
    expect(options.status).toBe(204);
    expect(options.headers.get("tus-extension")).toBe("creation,creation-with-upload,termination,expiration");
    expect(options.headers.get("tus-max-size")).toBe(String(30 * MB));
    const body = patternBytes(0, 1000);
    const res = await api("/api/uploads", {
      method: "POST",
      headers: {
        ...c.auth,
        ...TUS,
        "upload-length": "1000",
        "upload-metadata": `asset ${btoa("logo.bin")}`,
        "content-type": "application/offset+octet-stream",
      },
      body,
    });
    expect([res.status, res.headers.get("upload-offset")]).toEqual([201, "1000"]);
    expect(res.headers.get("upload-expires")).toMatch(/GMT$/);
    const asset = new Uint8Array(await (await api("/api/assets/logo.bin", { headers: c.auth })).arrayBuffer());
    expect(equalBytes(asset, body)).toBe(true);
  });

  it("refuses what tus refuses: no Tus-Resumable 412, wrong type 415, wrong offset 409, over the length or the limit 413, bad metadata 400", async () => {
    const c = await newClient("tus");
    const path = await create(c, 10);
    expect((await api(path, { method: "HEAD", headers: c.auth })).status).toBe(412);
    expect((await patch(c, path, 0, new Uint8Array(5), { "content-type": "application/octet-stream" })).status).toBe(
      415,
    );
    expect((await patch(c, path, 3, new Uint8Array(5))).status).toBe(409);
    const over = await patch(c, path, 0, new Uint8Array(11));
    expect(over.status).toBe(413);
    expect(
      (await api("/api/uploads", { method: "POST", headers: { ...c.auth, ...TUS, "upload-length": String(31 * MB) } }))
        .status,
    ).toBe(413);
    expect(
      (
        await api("/api/uploads", {
          method: "POST",
          headers: { ...c.auth, ...TUS, "upload-length": "5", "upload-metadata": "filename ###" },
        })
      ).status,
    ).toBe(400);
    expect((await api("/api/uploads", { method: "POST", headers: { ...c.auth, ...TUS } })).status).toBe(400);
    const unfinished = await submit(c, { configuration_names: ["x"], x_upload: path.split("/").pop() });
    expect(unfinished.status).toBe(404); // configuration x does not exist: checked first
  });

  it("another client's upload id is a 404 on every verb", async () => {
    const owner = await newClient("tus");
    const other = await newClient("tus");
    const path = await create(owner, 4);
    expect((await api(path, { method: "HEAD", headers: { ...other.auth, ...TUS } })).status).toBe(404);
    expect((await patch(other, path, 0, new Uint8Array(4))).status).toBe(404);
    expect((await api(path, { method: "DELETE", headers: { ...other.auth, ...TUS } })).status).toBe(404);
    await putConfiguration(other, "up", { adapter: "s3-upload", params: { storage: "s" } });
    expect((await submit(other, { configuration_names: ["up"], up_upload: path.split("/").pop() })).status).toBe(404);
    expect((await patch(owner, path, 0, new Uint8Array(4))).status).toBe(204); // untouched for its owner
  });

  it("termination deletes the upload and its bytes; an expired upload is aborted and cleaned up by the alarm", async () => {
    const c = await newClient("tus");
    const gone = await create(c, 6 * MB);
    expect((await patch(c, gone, 0, patternBytes(0, 5 * MB + 10))).status).toBe(204);
    expect((await api(gone, { method: "DELETE", headers: { ...c.auth, ...TUS } })).status).toBe(204);
    expect((await api(gone, { method: "HEAD", headers: { ...c.auth, ...TUS } })).status).toBe(404);

    const stale = await create(c, 6 * MB);
    expect((await patch(c, stale, 0, patternBytes(0, 100))).status).toBe(204);
    const id = stale.split("/").pop()!;
    expect(await prefixKeys(`clients/${c.name}/uploads/${id}/`)).toHaveLength(1); // the tail
    const store = clientStore(env, c.name);
    await runInDurableObject(store, (_: ClientStore, state) => {
      state.storage.sql.exec("UPDATE uploads SET expires_at = ? WHERE id = ?", Date.now() - 1, id);
    });
    expect((await api(stale, { method: "HEAD", headers: { ...c.auth, ...TUS } })).status).toBe(410);
    expect(await runDurableObjectAlarm(store)).toBe(true);
    expect((await api(stale, { method: "HEAD", headers: { ...c.auth, ...TUS } })).status).toBe(404);
    expect(await prefixKeys(`clients/${c.name}/uploads/`)).toEqual([]);
  });
});

describe("streamed _url imports", () => {
  it("streams a body with no Content-Length into R2 byte for byte, and fails one over the cap clearly", async () => {
    const c = await newClient("import");
    await putStorage(c, "s");
    await putConfiguration(c, "up", {
      adapter: "s3-upload",
      params: { storage: "s", key_template: "{prefix}/{task_id}" },
    });
    const base = inject("receiverUrl");
    const ok = await submit(c, { configuration_names: ["up"], up_url: `${base}/bytes/${12 * MB + 5}` });
    const done = await waitForEnd(c, ok.body.task_id, 60_000);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    expect(equalBytes(await s3Bytes("media", done.results[0].result[0].file_key), patternBytes(0, 12 * MB + 5))).toBe(
      true,
    );

    const over = await submit(c, { configuration_names: ["up"], up_url: `${base}/bytes/${31 * MB}` });
    const failed = await waitForEnd(c, over.body.task_id, 60_000);
    expect(failed.status).toBe("Failed");
    expect(failed.results[0].result).toBe("The input is larger than the 30 MB limit.");
    expect(await prefixKeys(`clients/${c.name}/taskgroups/${over.body.task_id}/`)).toEqual([]);
  });
});
