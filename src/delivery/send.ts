import { MAX_QUEUE_DELAY_S } from "./schedule";
import { signatureHeaders } from "./sign";
import type { AttemptRecord, PendingDelivery } from "../engine/types";

const TIMEOUT_MS = 10_000;
const RESPONSE_KEEP_BYTES = 1024;

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
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(Math.ceil(seconds), MAX_QUEUE_DELAY_S) : null;
}

/** An attempt that got no answer to record: a timeout, a network error, an email the binding refused. */
export function failedAttempt(at: Date, started: number, error: string): AttemptRecord {
  return {
    ok: false,
    at: at.toISOString(),
    status: null,
    latency_ms: Date.now() - started,
    response: "",
    error,
    retry_after_s: null,
  };
}
