import WebSocket from "ws";

/**
 * A Worker isolate's whole memory through the inspector (wrangler dev's `--inspector-port`, or
 * Miniflare's `inspectorPort`), in bytes, on demand: V8's heap, ArrayBuffer backing stores (WASM
 * memories included) and the embedder's heap (Runtime.getHeapUsage). While the isolate runs a long
 * synchronous call (an ffmpeg run) the answer waits until it yields.
 */
export async function isolateMemory(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let id = 0;
  const pending = new Map();
  ws.on("message", (m) => {
    const d = JSON.parse(String(m));
    if (d.id && pending.has(d.id)) {
      pending.get(d.id)(d.result);
      pending.delete(d.id);
    }
  });
  return {
    async read() {
      const r = await new Promise((resolve) => {
        const i = ++id;
        pending.set(i, resolve);
        ws.send(JSON.stringify({ id: i, method: "Runtime.getHeapUsage" }));
      });
      return r.usedSize + r.backingStorageSize + r.embedderHeapUsedSize;
    },
    close: () => ws.close(),
  };
}
