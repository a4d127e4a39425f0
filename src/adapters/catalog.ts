import type { z } from "zod";
import { imageCompositorParams } from "./image-compositor.params";
import { s3UploadParams } from "./s3-upload.params";
import { videoJoinParams } from "./video-join.params";
import { videoOverlayParams } from "./video-overlay.params";
import { videoThumbnailParams } from "./video-thumbnail.params";
import { videoTranscodeParams } from "./video-transcode.params";

/**
 * Every step kind Cascade knows: its params schema (validated at PUT and trigger time) and the
 * Worker that runs it. Only schemas live here, so the API Worker never bundles the heavy WASM.
 * "api": the API Worker's steps queue; "image": the image Worker (image/wrangler.toml);
 * "media": the ffmpeg Worker (media/wrangler.toml).
 */
export type Runtime = "api" | "image" | "media";

export const catalog = {
  "s3-upload": { params: s3UploadParams, runtime: "api" },
  "image-compositor": { params: imageCompositorParams, runtime: "image" },
  "video-overlay": { params: videoOverlayParams, runtime: "media" },
  "video-join": { params: videoJoinParams, runtime: "media" },
  "video-transcode": { params: videoTranscodeParams, runtime: "media" },
  "video-thumbnail": { params: videoThumbnailParams, runtime: "media" },
} as const satisfies Record<string, { params: z.ZodType; runtime: Runtime }>;

export type AdapterName = keyof typeof catalog;

export function adapterSpec(name: string): { params: z.ZodType; runtime: Runtime } | undefined {
  return Object.hasOwn(catalog, name) ? catalog[name as AdapterName] : undefined;
}

/** Assets a configuration's params name, found without running it, so a missing one is a 422 at trigger time. */
export function assetRefs(adapterName: string, params: Record<string, unknown>): { param: string; name: string }[] {
  const refs = assetParams(adapterName)
    .filter((param) => typeof params[param] === "string")
    .map((param) => ({ param, name: params[param] as string }));
  // Image layers name assets one level down.
  if (Array.isArray(params.layers)) {
    params.layers.forEach((layer: unknown, i) => {
      const name = (layer as { file_name?: unknown })?.file_name;
      if (typeof name === "string") refs.push({ param: `layers[${i}].file_name`, name });
    });
  }
  return refs;
}

/** The param names an adapter's schema knows, for routing `{cfg}_extras` keys in a chain. */
export function paramNames(adapterName: string): string[] {
  // Every params schema is a (possibly refined) zod object; zod 4 keeps `.shape` through refine.
  const schema = adapterSpec(adapterName)?.params as unknown as { shape?: Record<string, unknown> } | undefined;
  return Object.keys(schema?.shape ?? {});
}

/** Params that name an asset (they end in `_file_name`) and so may take a `{param}_override`. */
export function assetParams(adapterName: string): string[] {
  return paramNames(adapterName).filter((k) => k.endsWith("_file_name"));
}

/** A run of consecutive chain links that need the same Worker; one queue message runs one segment. */
export interface Segment {
  from: number;
  to: number;
  runtime: Runtime;
}

/**
 * A chain cut into segments by the Worker each link needs: `[video-overlay, s3-upload]` is a media
 * segment then an API segment, so the media Worker never holds storage credentials.
 */
export function segmentsOf(chain: { adapter: string }[]): Segment[] {
  const out: Segment[] = [];
  chain.forEach((link, i) => {
    const runtime = adapterSpec(link.adapter)?.runtime ?? "api";
    const last = out[out.length - 1];
    if (last && last.runtime === runtime) last.to = i + 1;
    else out.push({ from: i, to: i + 1, runtime });
  });
  return out;
}
