/**
 * Black-box, large files against `npm run dev`: a real tus client (tus-js-client in Node) uploads
 * 160 MB (more than one request may carry), is interrupted, resumes, and the file feeds a taskgroup;
 * a 95 MB multipart submission. Both are checked end to end by SHA-256 of what lands in the local S3.
 * Every phase has its own deadline, and a failure shows the dev server's last lines, so a stall says
 * where it stalled instead of running into the test's timeout.
 */
import { AwsClient } from "aws4fetch";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import * as tus from "tus-js-client";
import { DEMO_KEY, startDev } from "./dev-server";
import { PORTS } from "./ports";
import { patternBytes } from "../support/pattern";

const { port: PORT, s3Port: S3_PORT } = PORTS.largeFiles;
const BASE = `http://127.0.0.1:${PORT}`;
const MB = 1024 * 1024;
const auth = { authorization: `Bearer ${DEMO_KEY}` };
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const s3 = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
const json = (method: string, body: unknown) => ({
  method,
  headers: { ...auth, "content-type": "application/json" },
  body: JSON.stringify(body),
});

let dev: Awaited<ReturnType<typeof startDev>>;

beforeAll(async () => {
  dev = await startDev(PORT, S3_PORT);
  await fetch(
    `${BASE}/api/storage`,
    json("POST", {
      name: "big",
      type: "s3",
      region: "us-east-1",
      endpoint: `http://127.0.0.1:${S3_PORT}`,
      bucket: "demo",
      prefix: "large",
      access_key_id: "S3RVER",
      secret_access_key: "S3RVER",
    }),
  );
  const cfg = await fetch(
    `${BASE}/api/configurations/big-up`,
    json("PUT", { adapter: "s3-upload", params: { storage: "big", key_template: "{prefix}/{task_id}/{file_name}" } }),
  );
  expect(cfg.status).toBeLessThan(300);
}, 120_000);

afterAll(() => dev?.stop());

/** `work` must settle within `ms`, or the test fails naming `phase`. */
async function phase<T>(name: string, ms: number, work: Promise<T>, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new Error(`${name}: not done after ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const showServerLog = () => onTestFailed(() => console.error(`--- the dev server's last lines ---\n${dev?.logTail()}`));

async function uploadedSha(taskId: string): Promise<string> {
  let view: any;
  await phase(
    "the taskgroup's upload to S3",
    150_000,
    (async () => {
      for (;;) {
        view = await (
          await fetch(`${BASE}/api/taskgroup/${taskId}`, { headers: auth, signal: AbortSignal.timeout(10_000) })
        ).json();
        if (view.status === "Succeeded") return;
        if (view.status === "Failed") throw new Error(`taskgroup ${taskId} failed: ${JSON.stringify(view.results)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    })(),
  );
  const { file_key } = view.results[0].result[0];
  return phase(
    "reading the object back from S3",
    60_000,
    (async () => {
      const res = await s3.fetch(`http://127.0.0.1:${S3_PORT}/demo/${file_key}`);
      expect(res.status).toBe(200);
      return sha256(new Uint8Array(await res.arrayBuffer()));
    })(),
  );
}

/**
 * POSTs a form over a connection of its own. fetch would reuse the pool's last connection, which the
 * server closes after 5 s idle: the test's synchronous hashing can hide that close from the client,
 * which then writes 95 MB into a closed socket (EPIPE), a client-side race no server can prevent.
 */
async function postOnNewConnection(path: string, form: FormData): Promise<{ status: number; body: any }> {
  const encoded = new Request(`${BASE}${path}`, { method: "POST", body: form });
  const body = Buffer.from(await encoded.arrayBuffer());
  const headers = {
    ...auth,
    "content-type": encoded.headers.get("content-type")!,
    "content-length": String(body.length),
  };
  return new Promise((resolve, reject) => {
    const req = request(`${BASE}${path}`, { method: "POST", agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("large files through wrangler dev", () => {
  it("tus-js-client uploads 160 MB in 50 MB requests, is interrupted, resumes, and the file runs in a taskgroup intact", async () => {
    showServerLog();
    const file = Buffer.from(patternBytes(0, 160 * MB));
    const options = {
      endpoint: `${BASE}/api/uploads`,
      headers: auth,
      chunkSize: 50 * MB,
      retryDelays: [],
      metadata: { filename: "talk.bin", filetype: "application/octet-stream" },
    };
    let url = "";
    // First try: cut off in the middle of its third request (the connection drops).
    let first: tus.Upload | undefined;
    await phase(
      "the first, interrupted upload",
      90_000,
      new Promise<void>((resolve, reject) => {
        let stopped = false;
        const upload = new tus.Upload(file, {
          ...options,
          onProgress: (sent) => {
            url = upload.url ?? url;
            if (sent >= 120 * MB && !stopped) {
              stopped = true;
              upload.abort().then(resolve, reject);
            }
          },
          onError: reject,
          onSuccess: () => reject(new Error("the upload finished before it could be interrupted")),
        });
        first = upload;
        upload.start();
      }),
      () => void first?.abort(),
    );
    // The cut-off request can break the pooled connection wrangler dev's proxy keeps to the Worker; a
    // GET or HEAD whose forward then fails is held until another request reaches the proxy (README,
    // "Local development values": wrangler's, not Cascade's). A second request a moment later releases
    // it; the HEAD's own answer is what is checked.
    const release = setTimeout(() => void fetch(`${BASE}/openapi.json`).catch(() => undefined), 3_000);
    const head = await phase(
      "HEAD after the interruption",
      30_000,
      fetch(url, { method: "HEAD", headers: { ...auth, "tus-resumable": "1.0.0" } }),
    ).finally(() => clearTimeout(release));
    const stored = Number(head.headers.get("upload-offset"));
    expect(stored).toBeGreaterThanOrEqual(100 * MB);
    expect(stored).toBeLessThan(160 * MB);
    // Second try: resumes from what the server holds.
    let resumedFrom = -1;
    let second: tus.Upload | undefined;
    await phase(
      "the resumed upload",
      90_000,
      new Promise<void>((resolve, reject) => {
        // The server may still be saving the cut-off request: tus clients retry on 409 until it is done.
        second = new tus.Upload(file, {
          ...options,
          retryDelays: [250, 500, 1000, 2000, 4000],
          uploadUrl: url,
          onProgress: (sent) => (resumedFrom = resumedFrom < 0 ? sent : resumedFrom),
          onError: reject,
          onSuccess: () => resolve(),
        });
        second.start();
      }),
      () => void second?.abort(),
    );
    expect(resumedFrom).toBeGreaterThanOrEqual(stored);
    const id = url.split("/").pop();
    const sub = await fetch(
      `${BASE}/api/taskgroup/`,
      json("POST", { configuration_names: ["big-up"], "big-up_upload": id }),
    );
    expect(sub.status).toBe(202);
    expect(await uploadedSha(((await sub.json()) as any).task_id)).toBe(sha256(file));
  }, 420_000);

  it("a 95 MB multipart submission is stored byte for byte", async () => {
    showServerLog();
    const file = patternBytes(7, 95 * MB);
    const form = new FormData();
    form.set("configuration_names", '["big-up"]');
    form.set(
      "big-up_data",
      new File([file as Uint8Array<ArrayBuffer>], "ninety-five.bin", { type: "application/octet-stream" }),
    );
    const sub = await phase("the multipart submission", 90_000, postOnNewConnection("/api/taskgroup/", form));
    expect(sub.status).toBe(202);
    expect(await uploadedSha(sub.body.task_id)).toBe(sha256(file));
  }, 330_000);
});
