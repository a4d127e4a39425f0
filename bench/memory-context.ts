import type { AdapterContext } from "../src/adapters/types";
import type { StepFile } from "../src/engine/types";

/** An AdapterContext over files posted to a bench Worker, kept in memory, so only the adapter is timed. */
export async function memoryContext(
  form: FormData,
): Promise<{ ctx: AdapterContext; file: (name: string) => StepFile; files: Map<string, ArrayBuffer> }> {
  const files = new Map<string, ArrayBuffer>();
  for (const [name, value] of form) if (value instanceof File) files.set(name, await value.arrayBuffer());
  const file = (name: string): StepFile => ({
    key: name,
    file_name: name,
    content_type: "application/octet-stream",
    size: files.get(name)!.byteLength,
  });
  const ctx: AdapterContext = {
    client: "bench",
    taskgroupId: "bench",
    step: "bench",
    startedMs: 0,
    read: async (f, range) => {
      const all = files.get(f.key)!;
      const bytes = range ? all.slice(range.offset, range.offset + range.length) : all;
      return { arrayBuffer: async () => bytes } as unknown as R2ObjectBody;
    },
    asset: async (_param, name) => file(name),
    write: async (fileName, body, contentType) => {
      const bytes = body as ArrayBuffer | Uint8Array;
      files.set(fileName, bytes instanceof Uint8Array ? (bytes.slice().buffer as ArrayBuffer) : bytes);
      return { key: fileName, file_name: fileName, content_type: contentType, size: bytes.byteLength };
    },
    storageTarget: async () => {
      throw new Error("not in the bench");
    },
    output: async (fileName) => {
      const bytes = files.get(fileName);
      if (!bytes) throw new Error(`no output ${fileName}`);
      return { key: fileName, file_name: fileName, content_type: "application/octet-stream", size: bytes.byteLength };
    },
    outputUrl: (f) => f.key,
    limits: { maxVideoMb: 100, maxVideoSeconds: 600, maxFileMb: 5120, maxNativeSeconds: 0 },
    native: null,
    progress: () => undefined,
  };
  return { ctx, file, files };
}
