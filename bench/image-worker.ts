/**
 * Bench harness: runs the real image-compositor adapter inside workerd on files posted to it.
 * Its AdapterContext keeps files in memory, so only the compositing is timed.
 */
import { imageCompositor } from "../src/adapters/image-compositor";
import type { AdapterContext, StepFile } from "../src/adapters/types";

export default {
  async fetch(req: Request): Promise<Response> {
    try {
      return await compose(req);
    } catch (err) {
      return new Response(String((err as Error)?.stack ?? err), { status: 500 });
    }
  },
};

async function compose(req: Request): Promise<Response> {
    const form = await req.formData();
    const files = new Map<string, ArrayBuffer>();
    for (const [name, value] of form) if (value instanceof File) files.set(name, await value.arrayBuffer());
    const params = imageCompositor.params.parse(JSON.parse(String(form.get("params"))));
    const file = (name: string): StepFile => ({ key: name, file_name: name, content_type: "image/png", size: files.get(name)!.byteLength });
    const ctx: AdapterContext = {
      client: "bench",
      taskgroupId: "bench",
      step: "bench",
      read: async (f) => ({ arrayBuffer: async () => files.get(f.key)! }) as unknown as R2ObjectBody,
      asset: async (_param, name) => file(name),
      write: async (fileName, body) => {
        files.set(fileName, body as ArrayBuffer);
        return { key: fileName, file_name: fileName, content_type: "image/png", size: (body as ArrayBuffer).byteLength };
      },
      storageTarget: async () => {
        throw new Error("not in the bench");
      },
      outputUrl: (f) => f.key,
      limits: { maxVideoMb: 0, maxVideoSeconds: 0 },
      progress: () => undefined,
    };
    const started = performance.now();
    const outcome = await imageCompositor.run(file("background.png"), params, ctx);
    const total = performance.now() - started;
    const out = files.get(outcome.output!.key)!;
    const timings = { ...(outcome.result.timings_ms as Record<string, number>), total: Math.round(total) };
    return new Response(out, { headers: { "x-timings": JSON.stringify(timings) } });
}
