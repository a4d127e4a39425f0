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

/**
 * What the engine reads of an adapter, declared here so it never guesses from names or shapes:
 * the param naming the storage target it uploads to (whose `notify` hears of it), the result field
 * holding the URL of what it delivered, the result field holding the media duration it measured.
 */
export interface Declares {
  uploadsTo?: string;
  deliveredUrl?: string;
  mediaDuration?: string;
}

interface CatalogEntry {
  params: z.ZodType;
  runtime: Runtime;
  declares?: Declares;
}

const MEASURES_DURATION: Declares = { mediaDuration: "duration" };

export const catalog = {
  "s3-upload": { params: s3UploadParams, runtime: "api", declares: { uploadsTo: "storage", deliveredUrl: "url" } },
  "image-compositor": { params: imageCompositorParams, runtime: "image" },
  "video-overlay": { params: videoOverlayParams, runtime: "media", declares: MEASURES_DURATION },
  "video-join": { params: videoJoinParams, runtime: "media", declares: MEASURES_DURATION },
  "video-transcode": { params: videoTranscodeParams, runtime: "media", declares: MEASURES_DURATION },
  "video-thumbnail": { params: videoThumbnailParams, runtime: "media", declares: MEASURES_DURATION },
} as const satisfies Record<string, CatalogEntry>;

export type AdapterName = keyof typeof catalog;

export function adapterSpec(name: string): CatalogEntry | undefined {
  return Object.hasOwn(catalog, name) ? catalog[name as AdapterName] : undefined;
}

/**
 * A declared result field of a step: the last (or, with `first`, the first) adapter of its chain
 * that declares `what` and whose result holds a value there. `results` has one entry per link.
 */
export function declaredResult(
  chain: { adapter: string }[],
  results: unknown,
  what: "deliveredUrl" | "mediaDuration",
  order: "last" | "first" = "last",
): unknown {
  const list = Array.isArray(results) ? (results as Record<string, unknown>[]) : [];
  const idx = chain.map((_, k) => k);
  for (const k of order === "last" ? idx.reverse() : idx) {
    const field = adapterSpec(chain[k]!.adapter)?.declares?.[what];
    const value = field ? list[k]?.[field] : undefined;
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
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
