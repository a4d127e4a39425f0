/**
 * Bench harness: runs the real video-overlay adapter inside workerd on files posted to it;
 * GET /args tells the native side the exact ffmpeg arguments the adapter uses.
 */
import { overlayArgs, videoOverlay } from "../src/adapters/video-overlay";
import { ffmpeg } from "../src/adapters/video/ffmpeg";
import { memoryContext } from "./memory-context";

export default {
  async fetch(req: Request): Promise<Response> {
    try {
      if (new URL(req.url).pathname === "/version") {
        // ffmpeg started and run with no work: what the core costs before any frame.
        const run = await ffmpeg({}, ["-version"]);
        return new Response(null, { headers: { "x-heap-mb": String(Math.round(run.heapBytes / 1024 / 1024)) } });
      }
      if (req.method === "GET") {
        const params = videoOverlay.params.parse(JSON.parse(new URL(req.url).searchParams.get("params")!));
        return Response.json(overlayArgs(params));
      }
      const form = await req.formData();
      const { ctx, file, files } = await memoryContext(form);
      const params = videoOverlay.params.parse(JSON.parse(String(form.get("params"))));
      if (new URL(req.url).pathname === "/raw") {
        // The adapter's ffmpeg run alone, past its limits: what a frame size costs, for `bench limits`.
        const started = performance.now();
        const bytes = (name: string) => new Uint8Array(files.get(name)!);
        const run = await ffmpeg({ "in.mp4": bytes("clip.mp4"), "overlay.img": bytes("logo.png") }, [
          ...overlayArgs(params),
          "out.mp4",
        ]);
        if (run.code !== 0) return new Response(run.log.slice(-5).join("\n"), { status: 500 });
        return new Response(run.read("out.mp4"), {
          headers: {
            "x-ms": String(Math.round(performance.now() - started)),
            "x-heap-mb": String(Math.round(run.heapBytes / 1024 / 1024)),
            "x-ffmpeg-ms": String(run.ms),
          },
        });
      }
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
