/** A user's calls against a dev server, for the black-box suites: JSON routes, submissions, waiting for the end. */
import { expect } from "vitest";
import { DEMO_KEY } from "./dev-server";

export const auth = { authorization: `Bearer ${DEMO_KEY}` };

export function devClient(base: string) {
  const json = (method: string, body: unknown) => ({
    method,
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    async putAsset(name: string, bytes: Uint8Array, type: string) {
      const res = await fetch(`${base}/api/assets/${name}`, {
        method: "PUT",
        headers: { ...auth, "content-type": type },
        body: bytes as BodyInit,
      });
      expect(res.status, await res.clone().text()).toBe(201);
    },
    async configure(name: string, configuration: unknown) {
      const res = await fetch(`${base}/api/configurations/${name}`, json("PUT", configuration));
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    },
    async storage(target: Record<string, unknown>) {
      const res = await fetch(`${base}/api/storage`, json("POST", target));
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    },
    /** Submits a multipart taskgroup: `files` maps form field → [bytes, file name, type]. */
    async submit(
      names: string[],
      files: Record<string, [Uint8Array, string, string]>,
      fields: Record<string, string> = {},
    ) {
      const form = new FormData();
      form.set("configuration_names", JSON.stringify(names));
      for (const [field, [bytes, name, type]] of Object.entries(files))
        form.set(field, new File([bytes as BlobPart], name, { type }));
      for (const [field, value] of Object.entries(fields)) form.set(field, value);
      const res = await fetch(`${base}/api/taskgroup/`, { method: "POST", headers: auth, body: form });
      const body = (await res.json()) as { task_id: string };
      expect(res.status, JSON.stringify(body)).toBe(202);
      return body.task_id;
    },
    async view(id: string): Promise<any> {
      return (await fetch(`${base}/api/taskgroup/${id}`, { headers: auth })).json();
    },
    async waitForEnd(id: string, timeoutMs = 240_000): Promise<any> {
      for (const until = Date.now() + timeoutMs; ; ) {
        const view = await this.view(id);
        if (["Succeeded", "Failed", "Cancelled"].includes(view.status)) return view;
        if (Date.now() > until) throw new Error(`taskgroup still ${view.status}: ${JSON.stringify(view.steps)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    /** A file by its (signed) link, opened without a key as a player would. */
    async bytes(url: string): Promise<Uint8Array> {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}
