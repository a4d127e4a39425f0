/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core) against
 * `npm run dev`: sign in, open a finished taskgroup, redeliver its dead callback, see the new attempt.
 * Screenshots land in test-results/.
 */
import { mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client";
import { startReceiver } from "../support/receiver";
import { DEMO_KEY, startDev } from "./dev-server";
import { PORTS } from "./ports";

const { port: PORT, s3Port: S3_PORT } = PORTS.dashboard;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let dev: Awaited<ReturnType<typeof startDev>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let browser: Browser;

beforeAll(async () => {
  mkdirSync("test-results", { recursive: true });
  receiver = await startReceiver();
  dev = await startDev(PORT, S3_PORT);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  dev?.stop();
  receiver?.server.closeAllConnections();
  await new Promise((r) => receiver?.server.close(r));
});

describe("dashboard", () => {
  it("signs in, shows a finished taskgroup with its steps and output, and redelivers a dead callback", async () => {
    const cascade = createClient({ baseUrl: dev.base, apiKey: DEMO_KEY });
    const { webhook_secret } = await cascade.client.get();
    await cascade.storage.put({
      name: "dash-store",
      type: "s3",
      endpoint: `http://127.0.0.1:${S3_PORT}`,
      bucket: "demo",
      access_key_id: "S3RVER",
      secret_access_key: "S3RVER",
    });
    await cascade.configurations.put("dash-upload", { adapter: "s3-upload", params: { storage: "dash-store" } });
    // The receiver refuses the first request, and the callback allows no retry: the delivery goes dead.
    const sink = (await (
      await fetch(`${receiver.url}/sinks`, {
        method: "POST",
        body: JSON.stringify({ secret: webhook_secret, script: [{ status: 500 }] }),
      })
    ).json()) as { id: string };
    const hook = `${receiver.url}/sinks/${sink.id}`;
    const png = Uint8Array.from(
      atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="),
      (c) => c.charCodeAt(0),
    );
    const { task_id } = await cascade.taskgroups.create({
      configurations: ["dash-upload"],
      files: { "dash-upload": new File([png], "pixel.png", { type: "image/png" }) },
      callbacks: [{ url: hook, format: "vcc", retry: { attempts: 0, interval_s: 1 } }],
    });
    await cascade.taskgroups.waitFor(task_id, { timeoutMs: 60_000, intervalMs: 200 });
    for (let i = 0; i < 100 && (await cascade.taskgroups.get(task_id)).deliveries[0]?.state !== "dead"; i++)
      await new Promise((r) => setTimeout(r, 200));

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${dev.base}/`);
    await page.fill("#key", "not-a-key");
    await page.click("#signin button");
    await page.waitForSelector("text=That key was not accepted.");
    await page.fill("#key", DEMO_KEY);
    await page.click("#signin button");
    await page.waitForSelector(`a.tg[href="#/taskgroup/${task_id}"]`);
    expect(await page.evaluate(() => document.cookie)).toBe("");
    await page.screenshot({ path: "test-results/dashboard-list.png", fullPage: true });

    await page.click(`a.tg[href="#/taskgroup/${task_id}"]`);
    await page.waitForSelector("text=Deliveries");
    expect(await page.textContent("h2")).toContain(task_id);
    expect(await page.locator("tr.delivery .badge").first().textContent()).toBe("dead");
    expect(await page.locator("tr.delivery ol.attempts li").count()).toBe(1);
    await page.waitForSelector("img.preview");
    await page.screenshot({ path: "test-results/dashboard-taskgroup-dead.png", fullPage: true });

    // The System page shows what GET /api/system answers: four queues, the dead letter by reason, R2 use.
    const system = await (
      await fetch(`${dev.base}/api/system`, { headers: { authorization: `Bearer ${DEMO_KEY}` } })
    ).json();
    expect(system.dead_letters).toEqual([{ reason: "http_500", count: 1 }]);
    expect(system.storage.objects).toBeGreaterThan(0);
    await page.goto(`${dev.base}/#/system`);
    await page.waitForSelector("tr.queue");
    expect(await page.locator("tr.queue").count()).toBe(4);
    expect(await page.locator("tr.reason").first().textContent()).toContain("http_500");
    const objects = system.storage.objects;
    expect(await page.textContent("#storage-use")).toContain(objects === 1 ? "1 object" : `${objects} objects`);
    await page.screenshot({ path: "test-results/dashboard-system.png", fullPage: true });
    await page.goto(`${dev.base}/#/taskgroup/${task_id}`);
    await page.waitForSelector("button.redeliver");

    await page.click("button.redeliver");
    await page.waitForFunction(() => document.querySelectorAll("tr.delivery ol.attempts li").length === 2, undefined, {
      timeout: 20_000,
    });
    expect(await page.locator("tr.delivery .badge").first().textContent()).toBe("succeeded");
    expect(await page.locator("tr.delivery ol.attempts li").nth(1).textContent()).toContain("200");
    await page.screenshot({ path: "test-results/dashboard-taskgroup-redelivered.png", fullPage: true });

    for (const [hash, text] of [
      ["#/storage", "dash-store"],
      ["#/configurations", "dash-upload"],
      ["#/dead", "Dead-lettered deliveries"],
    ] as const) {
      await page.goto(`${dev.base}/${hash}`);
      await page.waitForSelector(`text=${text}`);
    }
    expect(await page.textContent("main")).not.toContain("S3RVER"); // secrets stay masked
    await page.click("#signout");
    await page.waitForSelector("#signin");
    await page.close();
  });
});
