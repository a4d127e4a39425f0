/**
 * File grants: how the native media server reads a step's inputs and writes its outputs without any
 * credential. Only the engine can make one; an altered, expired, too long-lived or misused grant is
 * refused before anything of the client is touched, and a write stays inside the step's folder.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mintGrant, MAX_GRANT_S, stepGrants } from "../src/lib/file-grants";
import { filesOf, r2Keys } from "../src/lib/files";
import { api, newClient, putConfiguration, submit, waitForEnd } from "./support/api";
import { video } from "./support/video";

const now = () => Math.floor(Date.now() / 1000);
const pathOf = (url: string) => url.replace("https://cascade.test", "");
const put = (path: string, body: BodyInit, type = "video/mp4") =>
  api(path, { method: "PUT", headers: { "content-type": type }, body });

describe("file grants", () => {
  it("a write grant stores under the step's folder, a read grant serves it whole or by range", async () => {
    const at = { client: "grants", taskgroupId: crypto.randomUUID(), step: "enc" };
    const { upload } = await stepGrants(env.SECRETS_KEY, "https://cascade.test", at, []);
    const res = await put(`${pathOf(upload)}/out.mp4`, "0123456789");
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ file_name: "out.mp4", size: 10, content_type: "video/mp4" });
    const key = r2Keys.output(at.client, at.taskgroupId, at.step, "out.mp4");
    expect(await (await filesOf(env, at.client).get(key))!.text()).toBe("0123456789");
    const [read] = (await stepGrants(env.SECRETS_KEY, "https://cascade.test", at, [key])).reads;
    expect(await (await api(pathOf(read!))).text()).toBe("0123456789");
    const ranged = await api(pathOf(read!), { headers: { range: "bytes=2-5" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(await ranged.text()).toBe("2345");
  });

  it("refuses a changed signature, an expired grant, a lifetime over the maximum, and a grant used for the other operation", async () => {
    const folder = r2Keys.output("grants", crypto.randomUUID(), "enc", "");
    const write = await mintGrant(env.SECRETS_KEY, { op: "write", client: "grants", key: folder, exp: now() + 60 });
    const [payload, mac] = write.split(".");
    const flipped = `${payload}.${mac![0] === "A" ? "B" : "A"}${mac!.slice(1)}`;
    const expired = await mintGrant(env.SECRETS_KEY, { op: "write", client: "grants", key: folder, exp: now() - 1 });
    const forever = await mintGrant(env.SECRETS_KEY, {
      op: "write",
      client: "grants",
      key: folder,
      exp: now() + MAX_GRANT_S + 60,
    });
    // A grant made with any other key (a webhook secret, say) is no grant.
    const other = await mintGrant(btoa("x".repeat(32)), {
      op: "write",
      client: "grants",
      key: folder,
      exp: now() + 60,
    });
    const codes = async (path: string, init?: RequestInit) => {
      const res = await api(path, init);
      return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    };
    expect(await codes(`/files/${flipped}/a.mp4`, { method: "PUT", body: "x" })).toEqual([403, "grant_invalid"]);
    expect(await codes(`/files/${other}/a.mp4`, { method: "PUT", body: "x" })).toEqual([403, "grant_invalid"]);
    expect(await codes(`/files/${expired}/a.mp4`, { method: "PUT", body: "x" })).toEqual([403, "grant_expired"]);
    expect(await codes(`/files/${forever}/a.mp4`, { method: "PUT", body: "x" })).toEqual([403, "grant_invalid"]);
    // A write grant reads nothing, and a read grant writes nothing.
    expect(await codes(`/files/${write}`)).toEqual([403, "grant_invalid"]);
    const read = await mintGrant(env.SECRETS_KEY, {
      op: "read",
      client: "grants",
      key: `${folder}a.mp4`,
      exp: now() + 60,
    });
    expect(await codes(`/files/${read}/a.mp4`, { method: "PUT", body: "x" })).toEqual([403, "grant_invalid"]);
    expect(await filesOf(env, "grants").head(`${folder}a.mp4`)).toBeNull();
  });

  it("a path outside the step's folder is refused: no '..', no slashes, and a grant names only its client's keys", async () => {
    const folder = r2Keys.output("grants", crypto.randomUUID(), "enc", "");
    const write = await mintGrant(env.SECRETS_KEY, { op: "write", client: "grants", key: folder, exp: now() + 60 });
    for (const name of ["..", "%2E%2E", "a%2Fb.mp4", "..%2F..%2Fassets%2Flogo.png"]) {
      const res = await put(`/files/${write}/${name}`, "x");
      expect(res.status, name).toBeGreaterThanOrEqual(400);
      expect(res.status, name).toBeLessThan(500);
    }
    const elsewhere = await mintGrant(env.SECRETS_KEY, {
      op: "read",
      client: "grants",
      key: r2Keys.asset("someone-else", "logo.png"),
      exp: now() + 60,
    });
    expect((await api(`/files/${elsewhere}`)).status).toBe(403);
  });
});

describe("a deployment without the native runtime", () => {
  it("refuses a step pinned to native with the reason, at once", async () => {
    const c = await newClient("pinned");
    await putConfiguration(c, "pinned", { adapter: "video-transcode", params: { runtime: "native" } });
    const form = new FormData();
    form.set("configuration_names", '["pinned"]');
    form.set("pinned_data", new File([await video({ d: 1 })], "clip.mp4", { type: "video/mp4" }));
    const { body } = await submit(c, form);
    const done = await waitForEnd(c, body.task_id);
    expect([done.status, done.steps[0].attempts]).toEqual(["Failed", 1]);
    expect(done.results[0].result).toMatch(/^The step asks for runtime native, and this deployment has no native/);
  });
});
