/** Helpers for tests that drive the Worker over HTTP with its real bindings. */
import { SELF } from "cloudflare:test";
import { AwsClient } from "aws4fetch";
import { inject, expect } from "vitest";

export const ORIGIN = "https://cascade.test";
export const ADMIN = { authorization: "Bearer dev-admin-token" };

export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(`${ORIGIN}${path}`, init);
}

export async function apiJson<T = any>(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T; res: Response }> {
  const res = await api(path, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, res };
}

export const jsonInit = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

export interface TestClient {
  name: string;
  key: string;
  secret: string;
  auth: Record<string, string>;
}

let counter = 0;
/** A fresh client made through the admin API, so every test file has its own tenant. */
export async function newClient(prefix = "t"): Promise<TestClient> {
  const name = `${prefix}-${Date.now().toString(36)}-${++counter}`;
  const { status, body } = await apiJson("/api/admin/clients", jsonInit("POST", { name }, ADMIN));
  expect(status).toBe(201);
  return { name, key: body.api_key, secret: body.webhook_secret, auth: { authorization: `Bearer ${body.api_key}` } };
}

export async function putConfiguration(c: TestClient, name: string, body: unknown) {
  const res = await apiJson(`/api/configurations/${name}`, jsonInit("PUT", body, c.auth));
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

export async function putStorage(c: TestClient, name: string, extra: Record<string, unknown> = {}) {
  const body = {
    name,
    type: "s3",
    region: "us-east-1",
    endpoint: inject("s3Endpoint"),
    bucket: "media",
    prefix: `cascade/${c.name}`,
    access_key_id: "S3RVER",
    secret_access_key: "S3RVER",
    ...extra,
  };
  const res = await apiJson("/api/storage", jsonInit("POST", body, c.auth));
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

/** The S3 peer, signed like any client would. */
export const s3 = new AwsClient({
  accessKeyId: "S3RVER",
  secretAccessKey: "S3RVER",
  service: "s3",
  region: "us-east-1",
});

/** `size` random bytes (getRandomValues fills at most 64 KiB a call). */
export function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(i + 65536, size)));
  return bytes;
}

/** A file's SHA-256, to compare large bodies without printing them. */
export const digest = async (b: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", b)).join(",");

export async function s3Bytes(bucket: string, key: string): Promise<Uint8Array> {
  const res = await s3.fetch(`${inject("s3Endpoint")}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

export async function submit(
  c: TestClient,
  form: FormData | Record<string, unknown>,
  kind: "taskgroup" | "task" = "taskgroup",
  headers: Record<string, string> = {},
) {
  const init: RequestInit =
    form instanceof FormData
      ? { method: "POST", headers: { ...c.auth, ...headers }, body: form }
      : jsonInit("POST", form, { ...c.auth, ...headers });
  return apiJson(`/api/${kind}/`, init);
}

const TERMINAL = ["Succeeded", "Failed", "Cancelled"];

/** Polls the status route until the group is terminal (the queue round trips are real and asynchronous). */
export async function waitForEnd(c: TestClient, id: string, timeoutMs = 30_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await apiJson(`/api/taskgroup/${id}`, { headers: c.auth });
    expect(status).toBe(200);
    if (TERMINAL.includes(body.status)) return body;
    if (Date.now() > until) throw new Error(`taskgroup ${id} still ${body.status}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Receiver sinks: a real HTTP endpoint that verifies Standard Webhooks signatures with the client's secret. */
export async function newSink(
  secret: string,
  script: { status: number; headers?: Record<string, string>; hang?: boolean; delayMs?: number }[] = [],
) {
  const res = await fetch(`${inject("receiverUrl")}/sinks`, {
    method: "POST",
    body: JSON.stringify({ secret, script }),
  });
  const { id } = (await res.json()) as { id: string };
  const url = `${inject("receiverUrl")}/sinks/${id}`;
  return {
    url,
    async log(): Promise<any[]> {
      return (await (await fetch(`${url}/log`)).json()) as any[];
    },
    /** Waits until `n` requests have arrived. */
    async waitFor(n: number, timeoutMs = 30_000): Promise<any[]> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const log = await this.log();
        if (log.length >= n) return log;
        if (Date.now() > until) throw new Error(`sink got ${log.length} of ${n} requests`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

export function file(content: string | Uint8Array, name: string, type = "application/octet-stream"): File {
  return new File([content], name, { type });
}
