/** Bench harness: runs the real image-compositor adapter inside workerd on files posted to it. */
import { imageCompositor } from "../src/adapters/image-compositor";
import { memoryContext } from "./memory-context";

export default {
  async fetch(req: Request): Promise<Response> {
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
