/**
 * A request body the Worker started to read is read to its end before the response leaves.
 *
 * workerd drops the connection when a Worker returns its response with a request body it cancelled,
 * or read part-way (even to its last byte without seeing the stream's end); reading the rest in
 * waitUntil is too late. Under `wrangler dev` the local proxy's own request to the Worker then fails
 * ("Network connection lost") and the proxy answers 503 "Your worker restarted mid-request" in place
 * of the Worker's answer, sometimes for another request that shared that pooled connection. A body
 * never touched is drained by wrangler's dev middleware (`ensure-req-body-drained`, which skips a
 * used body). Measured in issue 20 with a bare Worker under wrangler dev 4.86, 2,000 keep-alive
 * POSTs a mode: untouched or read to the end, 0 x 503; cancelled, one chunk read, or drained in
 * waitUntil, 13-32% x 503 plus resets; read to the end through this guard, 0.
 *
 * Refusals stop part-way in many places (a multipart field refused from its header, a JSON or upload
 * limit crossed, tus past its Upload-Length, a method override that drops the body, and the multipart
 * parser stops at the closing delimiter before the stream ends), so the rule is kept here, once,
 * around the whole app: the app reads the body through a stream whose cancel does nothing, and when
 * the response is ready, `settle` reads what is left of a body the app started and did not finish.
 * At most DRAIN_LIMIT_BYTES more (known from Content-Length, else counted) within DRAIN_LIMIT_MS:
 * past either it cancels the body and the connection goes; a 100 MB upload refused early is not read.
 */

/** How much of a body the app stopped reading is still read, so the connection survives. */
export const DRAIN_LIMIT_BYTES = 4 * 1024 * 1024;
/** How long a refusal waits for that rest of the body (a client sending it slowly must not hold it). */
export const DRAIN_LIMIT_MS = 10_000;

export interface GuardedRequest {
  request: Request;
  /** Reads the rest of a body the app started and did not finish (bounded), or cancels it. */
  settle(): Promise<void>;
}

export function guardBody(req: Request): GuardedRequest {
  const source = req.body;
  if (!source || req.method === "GET" || req.method === "HEAD") return { request: req, settle: async () => {} };
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let ended = false;
  let read = 0;
  // One read at a time (workerd's request body refuses a second pending read): settle's reads queue
  // behind a read the app left pending, such as a pipe's that was cancelled.
  let queue: Promise<unknown> = Promise.resolve();
  const next = () => {
    const r = queue.then(async () => {
      reader ??= source.getReader();
      const r = await reader.read();
      if (r.done) ended = true;
      else read += r.value.byteLength;
      return r;
    });
    queue = r.catch(() => undefined);
    return r;
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const r = await next();
        // The app may have cancelled its side while this read was pending: what came is counted, not kept.
        try {
          if (r.done) controller.close();
          else controller.enqueue(r.value);
        } catch {
          /* cancelled meanwhile */
        }
      },
      // The app is done with the body; settle decides what happens to the rest.
      cancel() {},
    },
    // Nothing is read before the app asks: a body the app never reads stays untouched, for workerd to drain.
    { highWaterMark: 0 },
  );
  const request = new Request(req, { body, duplex: "half" } as RequestInit);
  return {
    request,
    async settle() {
      if (!reader || ended) return;
      const declared = Number(req.headers.get("content-length") ?? Number.NaN);
      // With a Content-Length, what is left is known: more than the limit is not read at all.
      const worth = !Number.isFinite(declared) || declared - read <= DRAIN_LIMIT_BYTES;
      if (worth) {
        const stopAt = read + DRAIN_LIMIT_BYTES;
        const timer = setTimeout(() => reader?.cancel().catch(() => undefined), DRAIN_LIMIT_MS);
        try {
          while (!ended && read <= stopAt) await next();
        } catch {
          // The client went away, or the time ran out: nothing more to keep.
        } finally {
          clearTimeout(timer);
        }
        if (ended) return;
      }
      await reader.cancel().catch(() => undefined);
    },
  };
}
