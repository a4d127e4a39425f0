/** tus requests for tests inside workerd: creation, PATCH (whole or held open), and R2 listings. */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { configOf } from "../../src/lib/config";
import { api, apiJson, type TestClient } from "./api";

export const TUS = { "tus-resumable": "1.0.0" };

/** The workers project's UPLOAD_LOCK_S (vitest.config.ts): how long a silent PATCH keeps its lock. */
export const LOCK_MS = configOf(env as Env).uploadLockMs;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function prefixKeys(prefix: string): Promise<string[]> {
  return (await env.FILES.list({ prefix })).objects.map((o) => o.key);
}

export const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** POST /api/uploads; returns the upload's path (from Location). */
export async function create(c: TestClient, length: number, metadata?: string): Promise<string> {
  const res = await api("/api/uploads", {
    method: "POST",
    headers: {
      ...c.auth,
      ...TUS,
      "upload-length": String(length),
      ...(metadata ? { "upload-metadata": metadata } : {}),
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return new URL(res.headers.get("location")!).pathname;
}

export const patch = (
  c: TestClient,
  path: string,
  offset: number,
  body: Uint8Array | ReadableStream<Uint8Array>,
  extra: Record<string, string> = {},
) =>
  api(path, {
    method: "PATCH",
    headers: {
      ...c.auth,
      ...TUS,
      "content-type": "application/offset+octet-stream",
      "upload-offset": String(offset),
      ...extra,
    },
    body,
    duplex: "half",
  } as RequestInit);

/** A request body the test feeds by hand and closes when it wants, like a slow client. */
export function heldBody() {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      ctl = controller;
    },
  });
  return { stream, send: (b: Uint8Array) => ctl.enqueue(b), end: () => ctl.close() };
}

/**
 * Waits until a PATCH holds the upload's lock: a probe at an offset no upload stands at is refused
 * with `upload_busy` while it is held and `offset_mismatch` otherwise, and never takes the lock.
 */
export async function lockHolder(c: TestClient, path: string): Promise<"held" | "free"> {
  const probe = await apiJson(path, {
    method: "PATCH",
    headers: {
      ...c.auth,
      ...TUS,
      "content-type": "application/offset+octet-stream",
      "upload-offset": "999999999",
    },
    body: new Uint8Array(1),
  });
  expect(probe.status).toBe(409);
  return probe.body.error.code === "upload_busy" ? "held" : "free";
}

export async function untilHeld(c: TestClient, path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await lockHolder(c, path)) === "held") return;
    await sleep(25);
  }
  throw new Error(`nothing took the lock of ${path}`);
}
