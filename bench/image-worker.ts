/** Bench harness: runs the real image-compositor adapter inside workerd on files posted to it. */
import { imageCompositor } from "../src/adapters/image-compositor";
import { memoryContext } from "./memory-context";

export default {
  async fetch(req: Request): Promise<Response> {
    if (new URL(req.url).pathname === "/allocate") return Response.json(allocations());
    try {
      const form = await req.formData();
      const { ctx, file, files } = await memoryContext(form);
      const params = imageCompositor.params.parse(JSON.parse(String(form.get("params"))));
      const started = performance.now();
      const outcome = await imageCompositor.run(file("background.png"), params, ctx);
      const total = performance.now() - started;
      const timings = { ...(outcome.result.timings_ms as Record<string, number>), total: Math.round(total) };
      return new Response(files.get(outcome.output!.key)!, { headers: { "x-timings": JSON.stringify(timings) } });
    } catch (err) {
      return new Response(String((err as Error)?.stack ?? err), { status: 500 });
    }
  },
};

/**
 * Times allocating and filling one 1920×1080 RGBA frame, 12 times: the cost of fresh memory in this
 * isolate, which the adapter pays for every decoded frame (the codecs hand back new arrays).
 */
function allocations(): number[] {
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t = performance.now();
    new Uint8ClampedArray(1920 * 1080 * 4).fill(i + 1);
    times.push(performance.now() - t);
  }
  return times;
}
