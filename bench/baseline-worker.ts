/**
 * Bench baselines for `npm run bench engine`, run under wrangler dev beside the engine: the least a
 * Worker can do for what the engine does.
 *   POST /put        stores the body in R2 and answers (submission's baseline)
 *   GET  /rt         one bare queue round trip: send a message, wait until its consumer has run, in ms
 *   POST /fetchloop  `n` plain POSTs of the body to `url`, one after another (delivery's baseline)
 */
interface BaselineEnv {
  FILES: R2Bucket;
  RT: Queue<{ id: string; sent: number }>;
}

export default {
  async fetch(req: Request, env: BaselineEnv): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/healthz") return new Response("ok");
    if (url.pathname === "/put" && req.method === "POST") {
      const obj = await env.FILES.put(`bench/${crypto.randomUUID()}`, req.body);
      return Response.json({ size: obj?.size ?? 0 });
    }
    if (url.pathname === "/rt") {
      const id = crypto.randomUUID();
      await env.RT.send({ id, sent: Date.now() });
      for (const until = Date.now() + 30_000; Date.now() < until; ) {
        const done = await env.FILES.get(`rt/${id}`);
        if (done) return Response.json({ ms: Number(await done.text()) });
        await new Promise((r) => setTimeout(r, 2));
      }
      return new Response("queue round trip timed out", { status: 504 });
    }
    if (url.pathname === "/fetchloop" && req.method === "POST") {
      const { target, n, body } = (await req.json()) as { target: string; n: number; body: string };
      const started = Date.now();
      for (let i = 0; i < n; i++) {
        const res = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
        await res.arrayBuffer();
      }
      return Response.json({ ms: Date.now() - started });
    }
    return new Response("not found", { status: 404 });
  },
  async queue(batch: MessageBatch<{ id: string; sent: number }>, env: BaselineEnv): Promise<void> {
    for (const msg of batch.messages) {
      await env.FILES.put(`rt/${msg.body.id}`, String(Date.now() - msg.body.sent));
      msg.ack();
    }
  },
} satisfies ExportedHandler<BaselineEnv, { id: string; sent: number }>;
