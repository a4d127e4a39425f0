/**
 * ffmpeg.wasm (@ffmpeg/core, single thread) driven directly: Workers have no Web Workers for the
 * @ffmpeg/ffmpeg wrapper. The wasm arrives as a compiled module (wrangler CompiledWasm rule) and is
 * instantiated through Emscripten's `instantiateWasm` hook, so nothing is fetched.
 */
import createCore from "@ffmpeg/core";
// A WebAssembly.Module by wrangler's CompiledWasm rule (typed by types/media.d.ts from media/wrangler.toml).
import ffmpegWasm from "@ffmpeg/core/wasm";

interface FfmpegCore {
  HEAPU8: Uint8Array;
  FS: {
    writeFile(path: string, data: Uint8Array, opts?: { canOwn?: boolean }): void;
    readFile(path: string): Uint8Array;
    readdir(path: string): string[];
    mkdir(path: string): void;
  };
  exec(...args: string[]): number;
  setLogger(fn: (l: { type: string; message: string }) => void): void;
  setProgress(fn: (p: { progress: number; time: number }) => void): void;
}

export interface FfmpegRun {
  code: number;
  /** Wall time of the run, core start-up included. */
  ms: number;
  /** ffmpeg's WASM heap after the run: what this step needed of the isolate's 128 MB. */
  heapBytes: number;
  log: string[];
  read(path: string): Uint8Array;
  list(dir: string): string[];
}

async function load(): Promise<FfmpegCore> {
  // The Emscripten glue reads self.location.href while it starts; Workers have no location.
  const g = globalThis as unknown as { location?: { href: string } };
  g.location ??= { href: "https://cascade.invalid/" };
  return (await (createCore as unknown as (opts: object) => Promise<FfmpegCore>)({
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) {
      void WebAssembly.instantiate(ffmpegWasm as WebAssembly.Module, imports).then(done);
      return {};
    },
  })) as FfmpegCore;
}

/** Runs one ffmpeg command on a fresh core with `files` in its memory file system. */
export async function ffmpeg(
  files: Record<string, Uint8Array>,
  args: string[],
  onProgress?: (ratio: number) => void,
): Promise<FfmpegRun> {
  const started = performance.now();
  const core = await load();
  const log: string[] = [];
  core.setLogger((l) => log.push(l.message));
  if (onProgress) core.setProgress(({ progress }) => onProgress(progress));
  // canOwn: the file system keeps the caller's bytes rather than a copy of them (one input, not two).
  for (const [name, data] of Object.entries(files)) core.FS.writeFile(name, data, { canOwn: true });
  const code = core.exec("-hide_banner", "-nostats", ...args);
  const ms = Math.round(performance.now() - started);
  return {
    code,
    log,
    ms,
    heapBytes: core.HEAPU8.length,
    read: (p) => core.FS.readFile(p),
    list: (d) => core.FS.readdir(d).filter((f) => f !== "." && f !== ".."),
  };
}

export interface MediaInfo {
  duration: number | null;
  video: { width: number; height: number; fps: number | null; codec: string } | null;
  audio: { codec: string } | null;
}

/** What `ffmpeg -i` says about a file (it exits non-zero for want of an output; the header is what we read). */
export function parseInfo(log: string[]): MediaInfo {
  const text = log.join("\n");
  const d = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(text);
  const v = /Stream #0:\d+[^:]*: Video: (\w+)[^\n]*?, (\d{1,5})x(\d{1,5})[^\n]*?(?:, ([\d.]+) fps)?/.exec(text);
  const fps = v ? /, ([\d.]+) fps/.exec(text.slice(v.index))?.[1] : undefined;
  const a = /Stream #0:\d+[^:]*: Audio: (\w+)/.exec(text);
  return {
    duration: d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : null,
    video: v ? { codec: v[1]!, width: Number(v[2]), height: Number(v[3]), fps: fps ? Number(fps) : null } : null,
    audio: a ? { codec: a[1]! } : null,
  };
}

/** What a file holds, and ffmpeg's words about it (the reason when it holds no readable video). */
export async function probe(data: Uint8Array, name = "probe.bin"): Promise<{ info: MediaInfo; log: string[] }> {
  const run = await ffmpeg({ [name]: data }, ["-i", name]);
  return { info: parseInfo(run.log), log: run.log };
}

/** The last ffmpeg error lines, for a step error users can act on. */
export function lastError(log: string[]): string {
  const lines = log.filter((l) => /error|invalid|no such|could not|failed|not supported|unknown/i.test(l));
  return (lines.slice(-2).join(" / ") || log.slice(-1)[0] || "ffmpeg failed").slice(0, 300);
}
