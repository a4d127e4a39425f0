import type { AttemptRecord, DeliveryMessage, PendingDelivery } from "../durable/taskgroup-model";
import { clientStore, taskGroup } from "../lib/stubs";
import { failedAttempt } from "./attempts";
import { sendEmail } from "./email";
import { signatureHeaders } from "./sign";

const TIMEOUT_MS = 10_000;
const RESPONSE_KEEP_BYTES = 1024;

type DeliveryEnv = Pick<Env, "TASKGROUPS" | "CLIENTS" | "EMAIL" | "EMAIL_FROM">;

/** Consumes the deliveries queue: one attempt per message, then ack, or retry after the schedule's delay. */
export async function consumeDeliveries(batch: MessageBatch<DeliveryMessage>, env: DeliveryEnv): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      const { client, taskgroupId, deliveryId } = msg.body;
      const stub = taskGroup(env, client, taskgroupId);
      try {
        const pending = await stub.pendingDelivery(deliveryId);
        if (!pending) return msg.ack();
        const attempt = pending.url.startsWith("mailto:")
          ? await sendEmail(env, pending)
          : await attemptDelivery(pending, await clientStore(env, client).signingSecrets());
        const next = await stub.recordDeliveryAttempt(deliveryId, attempt);
        if (next.action === "retry") msg.retry({ delaySeconds: next.delaySeconds });
        else msg.ack();
      } catch (err) {
        console.error(JSON.stringify({ msg: "delivery message failed", taskgroup: taskgroupId, deliveryId, error: String(err) }));
        msg.retry({ delaySeconds: 30 });
      }
    }),
  );
}

/** One signed HTTP attempt; never throws: a timeout or network error is a failed attempt. */
export async function attemptDelivery(d: PendingDelivery, secrets: Parameters<typeof signatureHeaders>[0]): Promise<AttemptRecord> {
  const headers = new Headers(d.headers.map(([k, v]) => [k!, v!] as [string, string]));
  for (const [k, v] of Object.entries(signatureHeaders(secrets, d.id, d.body))) headers.set(k, v);
  if (d.method !== "GET") headers.set("content-type", "application/json");
  headers.set("user-agent", "Cascade-Webhooks/1");
  headers.set("cascade-sequence", String(d.seq));
  const at = new Date();
  const started = Date.now();
  try {
    const res = await fetch(d.url, {
      method: d.method,
      headers,
      body: d.method === "GET" ? undefined : d.body,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const response = await readPrefix(res, RESPONSE_KEEP_BYTES);
    return {
      ok: res.status >= 200 && res.status < 300,
      at: at.toISOString(),
      status: res.status,
      latency_ms: Date.now() - started,
      response,
      error: null,
      retry_after_s: parseRetryAfter(res.headers.get("retry-after"), at),
    };
  } catch (err) {
    const e = err as Error;
    const timedOut = e?.name === "TimeoutError" || e?.name === "AbortError";
    return failedAttempt(at, started, timedOut ? `timed out after ${TIMEOUT_MS / 1000} s` : `network error: ${e?.message ?? String(err)}`);
  }
}

async function readPrefix(res: Response, limit: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  const all = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  return new TextDecoder().decode(all.slice(0, limit));
}

/** `Retry-After` as seconds or an HTTP date; capped at 12 h, the longest queue delay. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (!value) return null;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - now.getTime()) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(Math.ceil(seconds), 43_200) : null;
}
