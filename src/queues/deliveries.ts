import type { AttemptRecord, DeliveryMessage, PendingDelivery } from "../durable/taskgroup-model";
import { clientStore, taskGroup } from "../lib/stubs";
import { failedAttempt } from "./attempts";
import { fault } from "../lib/faults";
import { withRetries } from "../lib/retry";
import { isMailto } from "../schemas/callbacks";
import { sendEmail } from "./email";
import { signatureHeaders } from "./sign";

const TIMEOUT_MS = 10_000;
const RESPONSE_KEEP_BYTES = 1024;

type DeliveryEnv = Pick<Env, "TASKGROUPS" | "CLIENTS" | "EMAIL" | "EMAIL_FROM">;

/**
 * Consumes the deliveries queue: claim the send from the taskgroup, make one attempt, record it,
 * ack. The taskgroup schedules any retry as a new message, so a message is retried here only when
 * the taskgroup could not be reached.
 */
export async function consumeDeliveries(batch: MessageBatch<DeliveryMessage>, env: DeliveryEnv): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      const { client, taskgroupId, deliveryId, token } = msg.body;
      // A fresh stub per call: once the object resets (a deploy, an abort), an old stub stays broken, and
      // retrying the record on it would fail the message, re-claim the send and post the webhook twice.
      const group = () => taskGroup(env, client, taskgroupId);
      const q = { messageId: msg.id, delivery: msg.attempts };
      try {
        fault("rpc:claim_delivery", client);
        const claim = await group().claimDelivery(deliveryId, token, q);
        if (claim.type !== "claimed") return msg.ack();
        const d = claim.delivery as PendingDelivery;
        const attempt = isMailto(d.url)
          ? await sendEmail(env, d)
          : await attemptDelivery(d, await signingSecrets(env, client));
        await withRetries(() => {
          fault("rpc:record_delivery", client);
          return group().recordDeliveryAttempt(deliveryId, token, q, attempt);
        });
        msg.ack();
      } catch (err) {
        // Its next delivery finds the send interrupted: that counts as a failed attempt on the schedule.
        console.error(
          JSON.stringify({ msg: "delivery message failed", taskgroup: taskgroupId, deliveryId, error: String(err) }),
        );
        msg.retry({ delaySeconds: Math.min(300, 2 ** Math.max(1, msg.attempts)) });
      }
    }),
  );
}

function signingSecrets(env: Pick<Env, "CLIENTS">, client: string) {
  fault("rpc:signing_secrets", client);
  return clientStore(env, client).signingSecrets();
}

/** One signed HTTP attempt; never throws: a bad header, a timeout or a network error is a failed attempt. */
export async function attemptDelivery(
  d: PendingDelivery,
  secrets: Parameters<typeof signatureHeaders>[0],
): Promise<AttemptRecord> {
  const at = new Date();
  const started = Date.now();
  try {
    // Built inside the attempt: a header value the runtime refuses is this attempt's failure, not the consumer's.
    const headers = new Headers(d.headers.map(([k, v]) => [k!, v!] as [string, string]));
    for (const [k, v] of Object.entries(signatureHeaders(secrets, d.id, d.body))) headers.set(k, v);
    if (d.method !== "GET") headers.set("content-type", "application/json");
    headers.set("user-agent", "Cascade-Webhooks/1");
    headers.set("cascade-sequence", String(d.seq));
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
    return failedAttempt(
      at,
      started,
      timedOut
        ? `timed out after ${TIMEOUT_MS / 1000} s`
        : `${e instanceof TypeError ? "request refused" : "network error"}: ${e?.message ?? String(err)}`,
    );
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
