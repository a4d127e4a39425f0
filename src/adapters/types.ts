import type { z } from "zod";
import type { StepGrants } from "../lib/file-grants";
import type { AdapterName, catalog, Runtime } from "./catalog";
import type { StepFile, StorageTarget } from "../engine/types";

/** A file a step reads or writes, kept in R2. Wire names: it is part of step results. */
/** What an adapter may touch while it runs; nothing else of the engine leaks in. */
export interface AdapterContext {
  client: string;
  taskgroupId: string;
  /** The configuration (step) name. */
  step: string;
  /** When the step first started (epoch ms), the same for every re-run: keys made from it are overwritten, not duplicated. */
  startedMs: number;
  /** Opens a step file's bytes. */
  read(file: StepFile, range?: { offset: number; length: number }): Promise<R2ObjectBody>;
  /** The file an asset param (`*_file_name`) names, or the earlier output that `{param}_override` put there. */
  asset(param: string, name: string): Promise<StepFile>;
  /** Writes a file this step produced. */
  write(fileName: string, body: ReadableStream | ArrayBuffer | Uint8Array, contentType: string): Promise<StepFile>;
  /** A file of this step's outputs that was stored by someone else (the native server, through a grant). */
  output(fileName: string): Promise<StepFile>;
  /** A storage target of the client, secrets decrypted. */
  storageTarget(name: string): Promise<StorageTarget>;
  /** An authenticated download URL of this API for a step output. */
  outputUrl(file: StepFile): string;
  /** The media limits in force (vars of the Worker running the step): WASM's, and the native runtime's. */
  limits: { maxVideoMb: number; maxVideoSeconds: number; maxFileMb: number; maxNativeSeconds: number };
  /** The native media runtime, on a Worker that has one (the media Worker with its container or NATIVE_URL). */
  native: NativeAccess | null;
  /** Progress of this adapter, 0..1; the step's progress and `task.progress` callbacks follow it. */
  progress(ratio: number): void;
}

/** How a step reaches the native media server: the server itself, and file grants for its run. */
export interface NativeAccess {
  endpoint: { fetch(request: Request): Promise<Response> };
  grants(readKeys: string[]): Promise<StepGrants>;
}

export interface AdapterOutcome {
  /** The JSON result users see for this adapter. */
  result: Record<string, unknown>;
  /** The file the next adapter of a chain (or a later `_input`) receives; absent = the input passes through. */
  output?: StepFile;
}

export interface Adapter<P = unknown> {
  name: string;
  params: z.ZodType<P>;
  run(input: StepFile, params: P, ctx: AdapterContext): Promise<AdapterOutcome>;
}

/**
 * The adapter table of one runtime, typed against the catalog: an adapter missing from its Worker's
 * table, or a table entry the catalog places elsewhere, is a type error, not a run-time failure.
 */
export type AdaptersOf<R extends Runtime> = {
  [K in AdapterName as (typeof catalog)[K]["runtime"] extends R ? K : never]: Adapter<
    z.output<(typeof catalog)[K]["params"]>
  >;
};
