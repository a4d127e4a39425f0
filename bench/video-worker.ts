/**
 * Bench harness: runs the real video-overlay adapter inside workerd on files posted to it, with an
 * in-memory AdapterContext; GET /args tells the native side the exact ffmpeg arguments it uses.
 */
import { overlayFilter, videoOverlay } from "../src/adapters/video-overlay";
import { H264, MP4 } from "../src/adapters/video/common";
import { timings } from "../src/adapters/video/ffmpeg";
import type { AdapterContext, StepFile } from "../src/adapters/types";

export default {
  async fetch(req: Request): Promise<Response> {
    try {
      if (req.method === "GET") {
        const params = videoOverlay.params.parse(JSON.parse(new URL(req.url).searchParams.get("params")!));
        const args = ["-i", "in.mp4", "-i", "overlay.img", "-filter_complex", overlayFilter(params), "-map", "[v]", "-map", "0:a?", ...H264, "-c:a", "copy", ...MP4];
        return Response.json(args);
      }
      const form = await req.formData();
      const files = new Map<string, ArrayBuffer>();
      for (const [name, value] of form) if (value instanceof File) files.set(name, await value.arrayBuffer());
      const params = videoOverlay.params.parse(JSON.parse(String(form.get("params"))));
      const file = (name: string): StepFile => ({ key: name, file_name: name, content_type: "application/octet-stream", size: files.get(name)!.byteLength });
      const ctx: AdapterContext = {
        client: "bench",
        taskgroupId: "bench",
        step: "bench",
        read: async (f) => ({ arrayBuffer: async () => files.get(f.key)! }) as unknown as R2ObjectBody,
        asset: async (_param, name) => file(name),
        write: async (fileName, body) => {
          files.set(fileName, body as ArrayBuffer);
          return { key: fileName, file_name: fileName, content_type: "video/mp4", size: (body as Uint8Array).byteLength };
        },
        storageTarget: async () => {
          throw new Error("not in the bench");
        },
        outputUrl: (f) => f.key,
        limits: { maxVideoMb: 100, maxVideoSeconds: 600 },
        progress: () => undefined,
      };
      timings.length = 0;
      const started = performance.now();
      const outcome = await videoOverlay.run(file("clip.mp4"), params, ctx);
      const ms = performance.now() - started;
      const heap = String(outcome.result.ffmpeg_heap_mb);
      return new Response(files.get(outcome.output!.key) as ArrayBuffer, {
        headers: { "x-ms": String(Math.round(ms)), "x-heap-mb": heap, "x-runs": timings.join(",") },
      });
    } catch (err) {
      return new Response(String((err as Error)?.stack ?? err), { status: 500 });
    }
  },
};
