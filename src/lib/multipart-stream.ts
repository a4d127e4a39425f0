/**
 * A pull-based multipart/form-data reader: each part's body is a stream that reads the request only
 * as fast as it is consumed, so memory stays at one chunk plus a boundary, whatever the file size.
 * (The maintained parsers on npm buffer every part whole; the one streaming version has no
 * backpressure, so a slow consumer would queue the upload in memory.)
 */

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MultipartError";
  }
}

export interface FormPart {
  name: string;
  /** Present for file fields. */
  filename?: string;
  contentType: string;
  /** Must be read to the end (or cancelled) before the next part is asked for. */
  body: ReadableStream<Uint8Array>;
}

const MAX_HEADER_BYTES = 8 * 1024;
const enc = new TextEncoder();
const dec = new TextDecoder();
const HEADERS_END = enc.encode("\r\n\r\n");

export function boundaryOf(contentType: string): string | null {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]!) : null;
}

/** Index of `needle` in `hay` from `from`, or -1. */
export function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  for (let i = hay.indexOf(first, from); i !== -1 && i <= hay.length - needle.length; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/** Length of the longest end of `hay` that is a start of `needle` (a delimiter cut by a chunk's end), else 0. */
export function partialAtEnd(hay: Uint8Array, needle: Uint8Array): number {
  for (let k = Math.min(needle.length - 1, hay.length); k > 0; k--) {
    if (hay[hay.length - k] !== needle[0]) continue;
    let j = 1;
    while (j < k && hay[hay.length - k + j] === needle[j]) j++;
    if (j === k) return k;
  }
  return 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Reads the parts of a multipart/form-data body in order. */
export async function* formParts(body: ReadableStream<Uint8Array>, boundary: string): AsyncGenerator<FormPart> {
  const reader = body.getReader();
  const delimiter = enc.encode(`\r\n--${boundary}`);
  // Prefixed with CRLF so the first boundary is found like every other one.
  let buf: Uint8Array = enc.encode("\r\n");
  let ended = false;

  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      return false;
    }
    buf = concat(buf, value);
    return true;
  };
  const need = async (n: number) => {
    while (buf.length < n) if (!(await more())) throw new MultipartError("the body ended in the middle of a part");
  };

  try {
    // Preamble, then the first delimiter.
    for (;;) {
      const at = indexOf(buf, delimiter);
      if (at !== -1) {
        buf = buf.subarray(at + delimiter.length);
        break;
      }
      if (buf.length > MAX_HEADER_BYTES) throw new MultipartError("no multipart boundary found");
      if (!(await more())) throw new MultipartError("no multipart boundary found");
    }
    for (;;) {
      await need(2);
      if (buf[0] === 45 && buf[1] === 45) return; // "--": the closing delimiter
      // Headers end at the first blank line.
      let end = indexOf(buf, HEADERS_END);
      while (end === -1) {
        if (buf.length > MAX_HEADER_BYTES) throw new MultipartError("a part's headers are too large");
        if (!(await more())) throw new MultipartError("the body ended in a part's headers");
        end = indexOf(buf, HEADERS_END);
      }
      const part = partHeaders(dec.decode(buf.subarray(0, end)));
      buf = buf.subarray(end + 4);

      let done = false;
      const stream = new ReadableStream<Uint8Array>({
        pull: async (controller) => {
          for (;;) {
            const at = indexOf(buf, delimiter);
            if (at !== -1) {
              // Views, not copies: `buf` is never written to, only replaced.
              if (at > 0) controller.enqueue(buf.subarray(0, at));
              buf = buf.subarray(at + delimiter.length);
              done = true;
              controller.close();
              return;
            }
            // Keep only what could be the start of a delimiter; hand on the rest. Usually nothing is kept,
            // so the next chunk becomes `buf` as it is instead of being copied behind a leftover.
            const safe = buf.length - partialAtEnd(buf, delimiter);
            if (safe > 0) {
              controller.enqueue(buf.subarray(0, safe));
              buf = buf.subarray(safe);
              return;
            }
            if (!(await more())) throw new MultipartError("the body ended in the middle of a part");
          }
        },
      });
      yield { ...part, body: stream };
      if (!done) {
        // The consumer stopped early: skip the rest of this part.
        const rest = stream.getReader();
        while (!(await rest.read()).done);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function partHeaders(text: string): Omit<FormPart, "body"> {
  const headers = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get("content-disposition") ?? "";
  if (!/^form-data\b/i.test(disposition))
    throw new MultipartError("a part has no Content-Disposition: form-data header");
  const param = (key: string) => {
    const m =
      new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, "i").exec(disposition) ??
      new RegExp(`;\\s*${key}=([^;\\s]+)`, "i").exec(disposition);
    return m ? m[1]!.replace(/\\(.)/g, "$1") : undefined;
  };
  const name = param("name");
  if (name === undefined) throw new MultipartError("a part has no field name");
  const contentType = headers.get("content-type");
  if (contentType !== undefined && (contentType.length > 255 || !MEDIA_TYPE.test(contentType)))
    throw new MultipartError("a part's Content-Type is not a media type (type/subtype, printable ASCII)");
  return {
    name,
    filename: param("filename"),
    contentType: contentType ?? (param("filename") !== undefined ? "application/octet-stream" : "text/plain"),
  };
}

/**
 * A part's Content-Type is stored and served back as a header of the download: it must be one, so
 * type/subtype and parameters of printable ASCII only, 255 characters at most. (A bare CR or LF
 * inside the header line is not a line end in multipart, and would make the download's Headers throw.)
 */
const MEDIA_TYPE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+(?:[ \t]*;[\x20-\x7e\t]*)?$/;
