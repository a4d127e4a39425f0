/**
 * Bench harness: runs the real video-overlay adapter inside workerd on files posted to it;
 * GET /args tells the native side the exact ffmpeg arguments the adapter uses.
 */
import { overlayArgs, videoOverlay } from "../src/adapters/video-overlay";
import { memoryContext } from "./memory-context";

export default {
  async fetch(req: Request): Promise<Response> {
    try {
      if (req.method === "GET") {
        const params = videoOverlay.params.parse(JSON.parse(new URL(req.url).searchParams.get("params")!));
        return Response.json(overlayArgs(params));
      }
      const form = await req.formData();
      const { ctx, file, files } = await memoryContext(form);
      const params = videoOverlay.params.parse(JSON.parse(String(form.get("params"))));
      const started = performance.now();
      const outcome = await videoOverlay.run(file("clip.mp4"), params, ctx);
      const ms = performance.now() - started;
      return new Response(files.get(outcome.output!.key)!, {
        headers: {
          "x-ms": String(Math.round(ms)),
          "x-heap-mb": String(outcome.result.ffmpeg_heap_mb),
          "x-ffmpeg-ms": String(outcome.result.ffmpeg_ms),
        },
      });
    } catch (err) {
      return new Response(String((err as Error)?.stack ?? err), { status: 500 });
    }
  },
};
