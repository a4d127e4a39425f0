/**
 * A small typed client for Cascade's HTTP API, for Node 18+, browsers and Workers.
 * Request types come from the same zod schemas the API validates with.
 *
 *   const cascade = createClient({ baseUrl: "http://127.0.0.1:8787", apiKey });
 *   const { task_id } = await cascade.taskgroups.create({ configurations: ["a", "b"], files: { a: blob }, inputs: { b: "a" } });
 *   const done = await cascade.taskgroups.waitFor(task_id, { timeoutMs: 60_000 });
 */
import { Webhook } from "standardwebhooks";
import type { z } from "zod";
import type { CallbackInput } from "../schemas/callbacks";
import type { ConfigurationInput } from "../schemas/configuration";
import type { storageInput } from "../schemas/storage";
import type { TaskgroupView } from "../schemas/taskgroup";
import { TERMINAL } from "../engine/types";

export type { ConfigurationInput, CallbackInput, TaskgroupView };
export type StorageTargetInput = z.input<typeof storageInput>;

export class CascadeError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CascadeError";
  }
}

export interface CreateTaskgroup {
  /** Configuration names, run in this order. */
  configurations: string[];
  /** Input files by configuration. */
  files?: Record<string, Blob>;
  /** Input URLs by configuration. */
  urls?: Record<string, string>;
  /** `{cfg}_input`: the earlier configuration whose output feeds this one. */
  inputs?: Record<string, string>;
  extras?: Record<string, Record<string, unknown>>;
  webhookUrl?: string;
  callbacks?: CallbackInput[];
  contentId?: string;
  customData?: unknown;
  workflow?: string;
  idempotencyKey?: string;
}

export interface Accepted {
  task_id: string;
  status: "Queued";
  status_url: string;
}

export function createClient(options: { baseUrl: string; apiKey: string; fetch?: typeof fetch }) {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;

  async function request<T>(
    method: string,
    path: string,
    body?: BodyInit,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const res = await doFetch(`${base}${path}`, {
      method,
      body,
      headers: { authorization: `Bearer ${options.apiKey}`, ...headers },
    });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const data = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const e = data?.error ?? {};
      throw new CascadeError(res.status, e.code ?? `http_${res.status}`, e.message ?? res.statusText, e.details);
    }
    return data as T;
  }
  const json = (value: unknown) => ({ body: JSON.stringify(value), headers: { "content-type": "application/json" } });
  const enc = encodeURIComponent;

  const taskgroups = {
    create(t: CreateTaskgroup): Promise<Accepted> {
      const form = new FormData();
      form.set("configuration_names", JSON.stringify(t.configurations));
      for (const [cfg, file] of Object.entries(t.files ?? {}))
        form.set(`${cfg}_data`, file, (file as File).name || `${cfg}.bin`);
      for (const [cfg, url] of Object.entries(t.urls ?? {})) form.set(`${cfg}_url`, url);
      for (const [cfg, from] of Object.entries(t.inputs ?? {})) form.set(`${cfg}_input`, from);
      for (const [cfg, extras] of Object.entries(t.extras ?? {})) form.set(`${cfg}_extras`, JSON.stringify(extras));
      if (t.webhookUrl) form.set("webhook_url", t.webhookUrl);
      if (t.callbacks) form.set("callbacks", JSON.stringify(t.callbacks));
      if (t.contentId) form.set("content_id", t.contentId);
      if (t.customData !== undefined)
        form.set("custom_data", typeof t.customData === "string" ? t.customData : JSON.stringify(t.customData));
      if (t.workflow) form.set("workflow", t.workflow);
      return request("POST", "/api/taskgroup/", form, t.idempotencyKey ? { "idempotency-key": t.idempotencyKey } : {});
    },
    get: (id: string) => request<TaskgroupView>("GET", `/api/taskgroup/${enc(id)}`),
    list: (q: { status?: string; limit?: number; cursor?: string } = {}) =>
      request<{ taskgroups: { task_id: string; status: string; created_at: string }[]; next_cursor: string | null }>(
        "GET",
        `/api/taskgroup?${new URLSearchParams(
          Object.entries(q)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, String(v)]),
        )}`,
      ),
    cancel: (id: string) => request<{ task_id: string; status: string }>("POST", `/api/taskgroup/${enc(id)}/cancel`),
    retry: (id: string) => request<{ task_id: string; status: string }>("POST", `/api/taskgroup/${enc(id)}/retry`),
    redeliver: (id: string, deliveryId: string) =>
      request("POST", `/api/taskgroup/${enc(id)}/deliveries/${enc(deliveryId)}/redeliver`),
    /** Polls until the taskgroup has ended; throws on timeout. */
    async waitFor(id: string, o: { timeoutMs?: number; intervalMs?: number } = {}): Promise<TaskgroupView> {
      const until = Date.now() + (o.timeoutMs ?? 120_000);
      for (;;) {
        const view = await taskgroups.get(id);
        if (TERMINAL.includes(view.status)) return view;
        if (Date.now() > until) throw new CascadeError(0, "timeout", `taskgroup ${id} is still ${view.status}`);
        await new Promise((r) => setTimeout(r, o.intervalMs ?? 500));
      }
    },
  };

  return {
    client: { get: () => request<{ client: string; webhook_secret: string }>("GET", "/api/client") },
    configurations: {
      put: (name: string, cfg: ConfigurationInput) =>
        request("PUT", `/api/configurations/${enc(name)}`, json(cfg).body, json(cfg).headers),
      get: (name: string) => request<ConfigurationInput & { name: string }>("GET", `/api/configurations/${enc(name)}`),
      list: () => request<{ configurations: (ConfigurationInput & { name: string })[] }>("GET", "/api/configurations"),
      delete: (name: string) => request<void>("DELETE", `/api/configurations/${enc(name)}`),
    },
    assets: {
      put: (name: string, data: Blob | ArrayBuffer | Uint8Array, contentType = "application/octet-stream") =>
        request<{ name: string; size: number }>("PUT", `/api/assets/${enc(name)}`, data as BodyInit, {
          "content-type": contentType,
        }),
      list: () => request<{ assets: { name: string; size: number; content_type: string }[] }>("GET", "/api/assets"),
      delete: (name: string) => request<void>("DELETE", `/api/assets/${enc(name)}`),
    },
    storage: {
      put: (target: StorageTargetInput & { name: string }) =>
        request("PUT", `/api/storage/${enc(target.name)}`, json(target).body, json(target).headers),
    },
    taskgroups,
  };
}

/**
 * Verifies a Cascade callback with the standard verifier (`standardwebhooks`) and returns its payload;
 * throws when the signature or timestamp is wrong. Give it the raw body, exactly as received.
 */
export async function verifyWebhook(
  request: Request | { body: string; headers: Record<string, string> },
  secret: string,
): Promise<unknown> {
  if (request instanceof Request) {
    const body = await request.text();
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return new Webhook(secret).verify(body, headers);
  }
  return new Webhook(secret).verify(request.body, request.headers);
}

export { Webhook };
