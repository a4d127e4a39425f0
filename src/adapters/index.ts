import { s3Upload } from "./s3-upload";
import type { Adapter } from "./types";

/** Every step kind Cascade can run, by its wire name. */
export const adapters: Record<string, Adapter<any>> = {
  [s3Upload.name]: s3Upload,
};

export function getAdapter(name: string): Adapter<unknown> | undefined {
  return Object.hasOwn(adapters, name) ? adapters[name] : undefined;
}

/** Params that name an asset (API.md: they end in `_file_name`) and so may take a `{param}_override`. */
export function assetParams(adapterName: string): string[] {
  const schema = getAdapter(adapterName)?.params as { shape?: Record<string, unknown> } | undefined;
  return Object.keys(schema?.shape ?? {}).filter((k) => k.endsWith("_file_name"));
}

/** The param names an adapter's schema knows, for routing `{cfg}_extras` keys in a chain. */
export function paramNames(adapterName: string): string[] {
  const schema = getAdapter(adapterName)?.params as { shape?: Record<string, unknown> } | undefined;
  return Object.keys(schema?.shape ?? {});
}
