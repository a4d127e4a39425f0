/**
 * tus as a browser uses it, against `npm run dev`: a page on another origin (a Node server on its own
 * port) loads tus-js-client's browser bundle in a real headless Chromium (Debian's, driven by
 * playwright-core), uploads 20 MB, is reloaded mid-upload, finds its upload again by fingerprint
 * (localStorage) and resumes it, then submits a taskgroup that uses it. Everything the page sends
 * crosses origins, so CORS (preflights without the key) is exercised by the browser itself.
 */
import { AwsClient } from "aws4fetch";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { patternBytes } from "../support/pattern";
import { DEMO_KEY, startDev } from "./dev-server";
import { PORTS } from "./ports";

const { port: PORT, s3Port: S3_PORT } = PORTS.tusBrowser;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const MB = 1024 * 1024;
const SIZE = 20 * MB;
const auth = { authorization: `Bearer ${DEMO_KEY}` };
const s3 = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });

/**
 * The page: builds the same 20 MB file on every load (same bytes, name, type and lastModified, so
 * tus-js-client's fingerprint finds the upload again after a reload) and drives tus-js-client.
 * `slow` delays each request, so the reload lands mid-upload; `override` sends PATCH as POST with
 * X-HTTP-Method-Override.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>tus from another origin</title>
<script src="/tus.js"></script>
<script>
function patternFile(size) {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + (i >>> 16)) & 255;
  return new File([b], "clip.bin", { type: "application/octet-stream", lastModified: 1700000000000 });
}
window.state = { progress: 0, firstProgress: null, previous: null, url: null, done: false, error: null };
window.startUpload = async ({ endpoint, key, slow, override }) => {
  const upload = new tus.Upload(patternFile(${SIZE}), {
    endpoint,
    headers: { Authorization: "Bearer " + key },
    chunkSize: 1024 * 1024,
    // The request cut off by the reload may still hold the upload for a moment (409): tus retries.
    retryDelays: [250, 500, 1000, 2000, 4000, 8000, 15000, 30000],
    overridePatchMethod: override,
    metadata: { filename: "clip.bin", filetype: "application/octet-stream" },
    onBeforeRequest: slow ? () => new Promise((r) => setTimeout(r, 150)) : undefined,
    onProgress: (sent) => {
      state.progress = sent;
      if (state.firstProgress === null) state.firstProgress = sent;
      state.url = upload.url;
    },
    onSuccess: () => { state.url = upload.url; state.done = true; },
    onError: (e) => { state.error = String(e); },
  });
  const previous = await upload.findPreviousUploads();
  state.previous = previous.length;
  if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
  upload.start();
};
window.submitTaskgroup = async ({ base, key, body }) => {
  const res = await fetch(base + "/api/taskgroup/", {
    method: "POST",
    headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};
</script>`;

let dev: Awaited<ReturnType<typeof startDev>>;
let browser: Browser;
let site: Server;
let siteUrl: string;

beforeAll(async () => {
  dev = await startDev(PORT, S3_PORT);
  const bundle = readFileSync("node_modules/tus-js-client/dist/tus.js");
  site = createServer((req, res) => {
    if (req.url === "/tus.js") res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    else if (req.url === "/") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => site.listen(0, "127.0.0.1", r));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
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
  const json = (method: string, body: unknown) => ({
    method,
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const storage = await fetch(
    `${dev.base}/api/storage`,
    json("POST", {
      name: "tus-browser",
      type: "s3",
      region: "us-east-1",
      endpoint: `http://127.0.0.1:${S3_PORT}`,
      bucket: "demo",
      prefix: "browser",
      access_key_id: "S3RVER",
      secret_access_key: "S3RVER",
    }),
  );
  expect(storage.status).toBeLessThan(300);
  const cfg = await fetch(
    `${dev.base}/api/configurations/browser-up`,
    json("PUT", {
      adapter: "s3-upload",
      params: { storage: "tus-browser", key_template: "{prefix}/{task_id}/{file_name}" },
    }),
  );
  expect(cfg.status).toBeLessThan(300);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  site?.closeAllConnections();
  await new Promise((r) => site?.close(r));
  dev?.stop();
});

interface PageState {
  progress: number;
  firstProgress: number | null;
  previous: number | null;
  url: string | null;
  done: boolean;
  error: string | null;
}

describe("tus-js-client in a browser, from another origin", () => {
  it("uploads 20 MB, resumes after the page is reloaded mid-upload, and the file runs in a taskgroup intact", async () => {
    onTestFailed(() => console.error(`--- the dev server's last lines ---\n${dev?.logTail()}`));
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    const endpoint = `${dev.base}/api/uploads`;
    const state = () => page.evaluate(() => (window as unknown as { state: PageState }).state);

    await page.goto(`${siteUrl}/`);
    await page.evaluate((o) => (window as any).startUpload(o), {
      endpoint,
      key: DEMO_KEY,
      slow: true,
      override: false,
    });
    await page.waitForFunction(
      () => (window as any).state.progress >= 8 * 1024 * 1024 || (window as any).state.error,
      undefined,
      {
        timeout: 60_000,
      },
    );
    const before = await state();
    expect(before.error).toBeNull();
    expect(before.done).toBe(false);
    expect(before.url).toMatch(new RegExp(`^${dev.base}/api/uploads/[0-9a-f-]{36}$`));

    await page.reload(); // mid-upload: the page's state is gone, its localStorage is not
    expect((await state()).progress).toBe(0);
    await page.evaluate((o) => (window as any).startUpload(o), {
      endpoint,
      key: DEMO_KEY,
      slow: false,
      override: true,
    });
    await page.waitForFunction(() => (window as any).state.done || (window as any).state.error, undefined, {
      timeout: 120_000,
    });
    const after = await state();
    expect(after.error).toBeNull();
    expect(after.previous).toBe(1);
    expect(after.url).toBe(before.url); // the same upload, found by fingerprint
    expect(after.firstProgress).toBeGreaterThanOrEqual(5 * MB); // resumed, not sent again from 0
    expect(after.firstProgress).toBeLessThan(SIZE);

    const id = after.url!.split("/").pop()!;
    const sub = await page.evaluate((o) => (window as any).submitTaskgroup(o), {
      base: dev.base,
      key: DEMO_KEY,
      body: { configuration_names: ["browser-up"], "browser-up_upload": id },
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    let view: any;
    for (let i = 0; i < 300; i++) {
      view = await (await fetch(`${dev.base}/api/taskgroup/${sub.body.task_id}`, { headers: auth })).json();
      if (view.status === "Succeeded" || view.status === "Failed") break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(view.status, JSON.stringify(view.results)).toBe("Succeeded");
    const stored = await s3.fetch(`http://127.0.0.1:${S3_PORT}/demo/${view.results[0].result[0].file_key}`);
    expect(stored.status).toBe(200);
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    expect(sha(new Uint8Array(await stored.arrayBuffer()))).toBe(sha(patternBytes(0, SIZE)));
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 300_000);
});
