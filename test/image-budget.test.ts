/** An image file larger than any valid image is refused from its stored size, before it is read (issue 20). */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, file, newClient, putConfiguration, submit, waitForEnd } from "./support/api";
import { encodePng, solid } from "./support/png";

describe("image-compositor: the file-size budget", () => {
  it("a 1×1 PNG followed by 70 MB (an asset overwritten in R2) fails the step without being read", async () => {
    const c = await newClient("imgbudget");
    const png = await encodePng(solid(1, 1, [255, 0, 0, 255]));
    const put = await api("/api/assets/big.png", {
      method: "PUT",
      headers: { ...c.auth, "content-type": "image/png" },
      body: png,
    });
    expect(put.status).toBe(201);
    // The bytes a tus upload could store: a valid header, then far more than the budget.
    const padded = new Uint8Array(70 * 1024 * 1024);
    padded.set(png);
    await env.FILES.put(`clients/${c.name}/assets/big.png`, padded, { httpMetadata: { contentType: "image/png" } });
    await putConfiguration(c, "bg", { adapter: "image-compositor", params: { background_file_name: "big.png" } });
    const form = new FormData();
    form.set("configuration_names", '["bg"]');
    form.set("bg_data", file(png, "in.png", "image/png"));
    const { status, body } = await submit(c, form);
    expect(status, JSON.stringify(body)).toBe(202);
    const done = await waitForEnd(c, body.task_id, 60_000);
    expect(done.status).toBe("Failed");
    expect(done.results[0].result).toBe("big.png is 70 MB, over the 64 MB limit of an image file.");
  });
});
