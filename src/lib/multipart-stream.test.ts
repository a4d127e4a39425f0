import { describe, expect, it } from "vitest";
import { formParts, MultipartError, partialAtEnd } from "./multipart-stream";

const enc = new TextEncoder();
const BOUNDARY = "----cascade-test";

function body(parts: { name: string; filename?: string; data: Uint8Array }[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ""}`;
    chunks.push(enc.encode(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n`), p.data, enc.encode("\r\n"));
  }
  chunks.push(enc.encode(`--${BOUNDARY}--\r\n`));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The body as a stream cut into chunks of `size` bytes. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function read(stream: ReadableStream<Uint8Array>) {
  const out: { name: string; filename?: string; data: Uint8Array }[] = [];
  for await (const part of formParts(stream, BOUNDARY)) {
    out.push({
      name: part.name,
      filename: part.filename,
      data: new Uint8Array(await new Response(part.body).arrayBuffer()),
    });
  }
  return out;
}

describe("partialAtEnd", () => {
  it("finds a delimiter cut by the end of a chunk, and nothing else", () => {
    const d = enc.encode("\r\n--b");
    expect(partialAtEnd(enc.encode("abc"), d)).toBe(0);
    expect(partialAtEnd(enc.encode("abc\r"), d)).toBe(1);
    expect(partialAtEnd(enc.encode("abc\r\n-"), d)).toBe(3);
    expect(partialAtEnd(enc.encode("abc\r\n--"), d)).toBe(4);
    expect(partialAtEnd(enc.encode("\r\n-x"), d)).toBe(0);
  });
});

describe("formParts", () => {
  // Data full of near-delimiters: CR, LF and dashes, so every cut position meets a partial match.
  const tricky = enc.encode(`a\r\n-\r\n--x\r\n--${BOUNDARY.slice(0, 8)}\r\r\n\r\n--`.repeat(20));
  const parts = [
    { name: "configuration_names", data: enc.encode('["a"]') },
    { name: "a_data", filename: "x.bin", data: tricky },
    { name: "empty", filename: "e.bin", data: new Uint8Array(0) },
  ];
  const whole = body(parts);

  it("reads the same parts whatever the chunk size, delimiters cut anywhere", async () => {
    for (let size = 1; size <= 80; size++) {
      expect(await read(chunked(whole, size)), `chunks of ${size}`).toEqual(
        parts.map((p) => ({ ...p, filename: p.filename })),
      );
    }
  });

  it("a body cut off in the middle of a part is an error, not a short file", async () => {
    await expect(read(chunked(whole.subarray(0, whole.length - 200), 64))).rejects.toThrow(MultipartError);
  });
});

describe("a part's Content-Type must be a header value", () => {
  const withType = (type: string) =>
    chunked(
      enc.encode(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\nContent-Type: ${type}\r\n\r\nx\r\n--${BOUNDARY}--\r\n`,
      ),
      7,
    );

  it("refuses a line break, a control character, non-ASCII or no subtype", async () => {
    for (const type of [
      "text/plain\nX-Evil: 1",
      "image/png\rX: y",
      "text/plain; a=\u0000",
      "image/pngé",
      "png",
      "a/b\n; c=d",
    ])
      await expect(read(withType(type)), JSON.stringify(type)).rejects.toThrow(MultipartError);
  });

  it("takes a media type with parameters", async () => {
    for (const type of ["image/png", "text/plain; charset=utf-8", "application/vnd.api+json"]) {
      const [part] = await read(withType(type));
      expect(part!.name).toBe("f");
    }
  });
});
