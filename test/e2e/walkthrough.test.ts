/**
 * Black-box: the engine as a user runs it (`npm run dev`, i.e. `wrangler dev` plus the local S3),
 * driven with curl and fetch exactly as the README walk-through does.
 */
import { AwsClient } from "aws4fetch";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import SwaggerParser from "@apidevtools/swagger-parser";
import { createClient, verifyWebhook } from "../../src/client";
import { startReceiver } from "../support/receiver";
import { DEMO_KEY, startDev } from "./dev-server";
import { PORTS } from "./ports";

const { port: PORT, s3Port: S3_PORT } = PORTS.walkthrough;
const BASE = `http://127.0.0.1:${PORT}`;
const auth = { authorization: `Bearer ${DEMO_KEY}` };

let dev: Awaited<ReturnType<typeof startDev>>;
let work: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  dev = await startDev(PORT, S3_PORT);
  work = dev.work;
}, 120_000);

afterAll(async () => {
  dev?.stop();
  receiver?.server.closeAllConnections();
  await new Promise((r) => receiver?.server.close(r));
});

/** Polls a status URL until the taskgroup has ended (or a minute has passed). */
async function waitForEnd(statusUrl: string): Promise<any> {
  const until = Date.now() + 60_000;
  for (;;) {
    const view: any = await (await fetch(statusUrl, { headers: auth })).json();
    if (["Succeeded", "Failed", "Cancelled"].includes(view.status) || Date.now() > until) return view;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const json = (method: string, body: unknown) => ({
  method,
  headers: { ...auth, "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("README walk-through against wrangler dev", () => {
  it("runs the seed-shaped taskgroup end to end: curl multipart in, S3 object and verified webhook out", async () => {
    expect((await fetch(`${BASE}/healthz`)).status).toBe(200);
    const client = (await (await fetch(`${BASE}/api/client`, { headers: auth })).json()) as {
      client: string;
      webhook_secret: string;
    };
    expect(client.client).toBe("demo");

    const storage = await fetch(
      `${BASE}/api/storage`,
      json("POST", {
        name: "demo-uploads",
        type: "s3",
        region: "us-east-1",
        endpoint: `http://127.0.0.1:${S3_PORT}`,
        bucket: "demo",
        prefix: "walkthrough",
        access_key_id: "S3RVER",
        secret_access_key: "S3RVER",
      }),
    );
    expect(storage.status).toBe(201);
    expect(((await storage.json()) as any).secret_access_key).toBe("****");
    expect(
      (
        await fetch(
          `${BASE}/api/configurations/tg-upload`,
          json("PUT", { adapter: "s3-upload", params: { storage: "demo-uploads" } }),
        )
      ).status,
    ).toBeLessThan(300);
    expect(
      (
        await fetch(
          `${BASE}/api/configurations/tg-s3-upload`,
          json("PUT", {
            adapter: "s3-upload",
            params: { storage: "demo-uploads", key_template: "{prefix}/final/{file_name}" },
          }),
        )
      ).status,
    ).toBeLessThan(300);

    const sink = (await (
      await fetch(`${receiver.url}/sinks`, { method: "POST", body: JSON.stringify({ secret: client.webhook_secret }) })
    ).json()) as { id: string };
    const hook = `${receiver.url}/sinks/${sink.id}`;
    const input = join(work, "voucher.png");
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    writeFileSync(input, bytes);

    const out = execFileSync("curl", [
      "-sS",
      "-X",
      "POST",
      `${BASE}/api/taskgroup/`,
      "-H",
      `Authorization: Bearer ${DEMO_KEY}`,
      "-F",
      'configuration_names=["tg-upload","tg-s3-upload"]',
      "-F",
      `tg-upload_data=@${input}`,
      "-F",
      "tg-s3-upload_input=tg-upload",
      "-F",
      `webhook_url=${hook}`,
    ]).toString();
    const accepted = JSON.parse(out);
    expect(accepted).toMatchObject({ status: "Queued", status_url: `${BASE}/api/taskgroup/${accepted.task_id}` });

    const view = await waitForEnd(accepted.status_url);
    expect(view.status, JSON.stringify(view)).toBe("Succeeded");
    expect(view.results[1].result[0].file_key).toBe("walkthrough/final/voucher.png");

    const s3 = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
    const stored = Buffer.from(
      await (await s3.fetch(`http://127.0.0.1:${S3_PORT}/demo/walkthrough/final/voucher.png`)).arrayBuffer(),
    );
    expect(stored.equals(bytes)).toBe(true);

    let log: any[] = [];
    const hookUntil = Date.now() + 30_000;
    while (log.length === 0 && Date.now() < hookUntil) {
      await new Promise((r) => setTimeout(r, 250));
      log = (await (await fetch(`${hook}/log`)).json()) as any[];
    }
    expect(log).toHaveLength(1);
    expect(log[0].verified, log[0].verifyError).toBe(true);
    expect(JSON.parse(log[0].body)).toEqual({ status: "Succeeded", task_id: accepted.task_id, results: view.results });
  });

  it("runs an image step on the image Worker, then uploads its output (the seed's first and last steps)", async () => {
    const sharp = (await import("sharp")).default;
    const photo = await sharp({
      create: { width: 320, height: 200, channels: 3, background: { r: 20, g: 40, b: 160 } },
    })
      .png()
      .toBuffer();
    const input = join(work, "photo.png");
    writeFileSync(input, photo);
    expect(
      (
        await fetch(
          `${BASE}/api/configurations/tg-image-compositor`,
          json("PUT", {
            adapter: "image-compositor",
            params: {
              layers: [
                {
                  type: "text",
                  text: "Code: {{additional_context.voucher_code}}",
                  x: 16,
                  y: 140,
                  size: 32,
                  color: "#ffffff",
                },
              ],
            },
          }),
        )
      ).status,
    ).toBeLessThan(300);
    const out = execFileSync("curl", [
      "-sS",
      "-X",
      "POST",
      `${BASE}/api/taskgroup/`,
      "-H",
      `Authorization: Bearer ${DEMO_KEY}`,
      "-F",
      'configuration_names=["tg-image-compositor","tg-s3-upload"]',
      "-F",
      `tg-image-compositor_data=@${input}`,
      "-F",
      'tg-image-compositor_extras={"additional_context":{"voucher_code":"E2E-42"}}',
      "-F",
      "tg-s3-upload_input=tg-image-compositor",
    ]).toString();
    const accepted = JSON.parse(out);
    const view = await waitForEnd(accepted.status_url);
    expect(view.status, JSON.stringify(view)).toBe("Succeeded");
    const s3 = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
    const stored = Buffer.from(
      await (await s3.fetch(`http://127.0.0.1:${S3_PORT}/demo/walkthrough/final/photo.png`)).arrayBuffer(),
    );
    const meta = await sharp(stored).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 320, 200]);
    // White text was drawn over the blue photo: some pixels in the text band are now bright.
    const { data } = await sharp(stored)
      .extract({ left: 16, top: 140, width: 250, height: 40 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    let bright = 0;
    for (let i = 0; i < data.length; i += meta.channels!) if (data[i]! > 200 && data[i + 1]! > 200) bright++;
    expect(bright).toBeGreaterThan(100);
  });

  it("the typed client: configurations, assets, a taskgroup with a Blob, waitFor, verifyWebhook", async () => {
    const cascade = createClient({ baseUrl: BASE, apiKey: DEMO_KEY });
    const { webhook_secret } = await cascade.client.get();
    await cascade.storage.put({
      name: "client-store",
      type: "s3",
      endpoint: `http://127.0.0.1:${S3_PORT}`,
      bucket: "demo",
      prefix: "client",
      access_key_id: "S3RVER",
      secret_access_key: "S3RVER",
    });
    await cascade.configurations.put("client-upload", {
      adapter: "s3-upload",
      params: { storage: "client-store", key_template: "{prefix}/{file_name}" },
    });
    expect((await cascade.assets.put("note.txt", new TextEncoder().encode("an asset"), "text/plain")).size).toBe(8);
    const sink = (await (
      await fetch(`${receiver.url}/sinks`, { method: "POST", body: JSON.stringify({ secret: webhook_secret }) })
    ).json()) as { id: string };
    const hook = `${receiver.url}/sinks/${sink.id}`;
    const { task_id } = await cascade.taskgroups.create({
      configurations: ["client-upload"],
      files: { "client-upload": new File(["from the typed client"], "typed.txt", { type: "text/plain" }) },
      webhookUrl: hook,
      idempotencyKey: `typed-${Date.now()}`,
    });
    const done = await cascade.taskgroups.waitFor(task_id, { timeoutMs: 60_000, intervalMs: 200 });
    expect(done.status).toBe("Succeeded");
    expect(done.steps[0]!.output?.file_name).toBe("typed.txt");
    await expect(cascade.configurations.get("does-not-exist")).rejects.toMatchObject({
      status: 404,
      code: "not_found",
    });

    let log: any[] = [];
    for (let i = 0; i < 120 && log.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      log = (await (await fetch(`${hook}/log`)).json()) as any[];
    }
    const payload = await verifyWebhook({ body: log[0].body, headers: log[0].headers }, webhook_secret);
    expect(payload).toMatchObject({ status: "Succeeded", task_id });
    await expect(
      verifyWebhook({ body: log[0].body.replace("Succeeded", "Failed"), headers: log[0].headers }, webhook_secret),
    ).rejects.toThrow();
  });

  it("serves an OpenAPI 3.1 document that a validator accepts", async () => {
    const doc = (await (await fetch(`${BASE}/openapi.json`)).json()) as any;
    const validated = (await SwaggerParser.validate(structuredClone(doc))) as any;
    expect(validated.openapi).toBe("3.1.0");
    expect(Object.keys(validated.paths).length).toBeGreaterThan(20);
  });

  it("answers bad input with JSON errors, never a 500", async () => {
    const none = await fetch(`${BASE}/api/configurations`);
    expect(none.status).toBe(401);
    const bad = await fetch(`${BASE}/api/taskgroup/`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: "{",
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe("malformed_json");
    const openapi = await fetch(`${BASE}/openapi.json`);
    expect(((await openapi.json()) as any).paths["/api/taskgroup"]).toBeDefined();
  });
});
