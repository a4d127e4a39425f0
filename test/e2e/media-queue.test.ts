/**
 * Black-box, `npm run dev`: a video step on the media Worker that fails for a passing reason is
 * retried by new messages the engine sends with `delaySeconds` to a queue the second Worker
 * consumes, and the media queue keeps consuming afterwards. Also the chain [video-overlay,
 * s3-upload], whose upload runs on the API Worker (the media Worker holds no storage secrets).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../support/receiver";
import { DEMO_KEY, startDev } from "./dev-server";
import { PORTS } from "./ports";

const { port: PORT, s3Port: S3_PORT } = PORTS.mediaQueue;
const BASE = `http://127.0.0.1:${PORT}`;
const auth = { authorization: `Bearer ${DEMO_KEY}` };
const json = (method: string, body: unknown) => ({
  method,
  headers: { ...auth, "content-type": "application/json" },
  body: JSON.stringify(body),
});
// A 2×2 red PNG.
const LOGO = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAEklEQVR4nGP4z8DAwMDAxAABAA4YAgE5cK3HAAAAAElFTkSuQmCC"),
  (c) => c.charCodeAt(0),
);

let dev: Awaited<ReturnType<typeof startDev>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  dev = await startDev(PORT, S3_PORT);
  expect(
    (
      await fetch(`${BASE}/api/assets/logo.png`, {
        method: "PUT",
        headers: { ...auth, "content-type": "image/png" },
        body: LOGO,
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await fetch(
        `${BASE}/api/configurations/overlay`,
        json("PUT", { adapter: "video-overlay", params: { overlay_file_name: "logo.png" } }),
      )
    ).status,
  ).toBeLessThan(300);
}, 120_000);

afterAll(async () => {
  dev?.stop();
  receiver?.server.closeAllConnections();
  await new Promise((r) => receiver?.server.close(r));
});

async function run(body: unknown, timeoutMs = 90_000): Promise<any> {
  const res = await fetch(`${BASE}/api/taskgroup/`, json("POST", body));
  expect(res.status).toBe(202);
  const { task_id } = (await res.json()) as { task_id: string };
  for (const until = Date.now() + timeoutMs; ; ) {
    const view: any = await (await fetch(`${BASE}/api/taskgroup/${task_id}`, { headers: auth })).json();
    if (["Succeeded", "Failed", "Cancelled"].includes(view.status)) return view;
    if (Date.now() > until) throw new Error(`taskgroup still ${view.status}: ${JSON.stringify(view.steps)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("the media queue under wrangler dev", () => {
  it("retries a failing media step with delayed messages, then still runs the next video taskgroup", async () => {
    const sink = (await (
      await fetch(`${receiver.url}/sinks`, {
        method: "POST",
        body: JSON.stringify({
          secret: `whsec_${btoa("x".repeat(24))}`,
          script: [{ status: 503 }, { status: 503 }, { status: 503 }],
        }),
      })
    ).json()) as { id: string };
    const failed = await run({ configuration_names: ["overlay"], overlay_url: `${receiver.url}/sinks/${sink.id}` });
    expect(failed.status).toBe("Failed");
    // Three runs: the two retries were new messages, delayed 5 s and 10 s, consumed by the media Worker.
    expect(failed.steps[0].attempts).toBe(3);
    expect(failed.steps[0].error).toMatch(/HTTP 503/);

    const ok = await run({ configuration_names: ["overlay"], overlay_url: `${receiver.url}/video?d=1&w=160&h=120` });
    expect(ok.status, JSON.stringify(ok.results)).toBe("Succeeded");
  }, 180_000);

  it("runs [video-overlay, s3-upload]: the overlay on the media Worker, the upload on the API Worker", async () => {
    await fetch(
      `${BASE}/api/storage`,
      json("POST", {
        name: "mq",
        type: "s3",
        region: "us-east-1",
        endpoint: `http://127.0.0.1:${S3_PORT}`,
        bucket: "demo",
        prefix: "mq",
        access_key_id: "S3RVER",
        secret_access_key: "S3RVER",
      }),
    );
    expect(
      (
        await fetch(
          `${BASE}/api/configurations/overlay-up`,
          json("PUT", {
            chain: [
              { adapter: "video-overlay", params: { overlay_file_name: "logo.png" } },
              { adapter: "s3-upload", params: { storage: "mq" } },
            ],
          }),
        )
      ).status,
    ).toBeLessThan(300);
    const done = await run({
      configuration_names: ["overlay-up"],
      "overlay-up_url": `${receiver.url}/video?d=1&w=160&h=120`,
    });
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    const [overlay, upload] = done.results[0].result;
    expect(overlay.output.content_type).toBe("video/mp4");
    expect(upload).toMatchObject({ bucket_name: "demo" });
    expect(upload.file_key).toMatch(/^mq\/\d{10}\.\d{6}_/);
  }, 180_000);
});
