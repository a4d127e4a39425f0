/** Bench baseline only: reads a multipart body whole with request.formData(), as the engine once did, and stores its file. */
export default {
  async fetch(req: Request, env: { FILES: R2Bucket }): Promise<Response> {
    if (req.method !== "POST") return new Response("ok");
    const form = await req.formData();
    for (const [name, value] of form) if (value instanceof File) await env.FILES.put(`bench/${name}`, value);
    return new Response("stored");
  },
};
