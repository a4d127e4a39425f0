/**
 * Writes a stream of unknown length to R2 in bounded memory: bytes gather into one part of
 * PART_BYTES; a body that fits is one put, a larger one an R2 multipart upload whose parts are all
 * PART_BYTES but the last (R2 wants equal parts). Caps are counted on the bytes read (`limited`).
 */

/** 5 MiB, the smallest part R2 takes: the most a writer holds at once. */
export const PART_BYTES = 5 * 1024 * 1024;

/**
 * The bytes of one R2 part as they arrive. It starts small and doubles up to PART_BYTES, so a small
 * body takes about its own size (a hundred concurrent 1 MB submissions must not hold 5 MiB each in
 * one 128 MB isolate), and a large one reuses the same PART_BYTES for every part.
 */
export class PartBuffer {
  private buf = new Uint8Array(64 * 1024);
  fill = 0;

  /** Copies what fits of `chunk` from `offset` into the part; returns how many bytes it took. */
  take(chunk: Uint8Array, offset: number): number {
    if (this.fill === this.buf.length) {
      const next = new Uint8Array(Math.min(PART_BYTES, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.fill));
      this.buf = next;
    }
    const n = Math.min(this.buf.length - this.fill, chunk.byteLength - offset);
    this.buf.set(chunk.subarray(offset, offset + n), this.fill);
    this.fill += n;
    return n;
  }

  get full(): boolean {
    return this.fill === PART_BYTES;
  }

  /** The part so far: a view, valid until the next take() or clear(). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.fill);
  }

  /** Once R2 holds the part (uploadPart resolved), the buffer is refilled from the start. */
  clear(): void {
    this.fill = 0;
  }
}

export class SizeLimitExceeded extends Error {
  constructor(readonly limitBytes: number) {
    super(`more than ${limitBytes} bytes`);
    this.name = "SizeLimitExceeded";
  }
}

export interface Written {
  key: string;
  size: number;
  etag: string;
}

/** The body, failing with SizeLimitExceeded as soon as more than `limitBytes` have been read from it. */
export function limited(body: ReadableStream<Uint8Array>, limitBytes: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > limitBytes) throw new SizeLimitExceeded(limitBytes);
        controller.enqueue(chunk);
      },
    }),
  );
}

export async function streamToR2(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  contentType: string,
): Promise<Written> {
  const reader = body.getReader();
  const httpMetadata = { contentType };
  const part = new PartBuffer();
  let size = 0;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      for (let off = 0; off < value.byteLength; ) {
        off += part.take(value, off);
        if (part.full) {
          upload ??= await bucket.createMultipartUpload(key, { httpMetadata });
          parts.push(await upload.uploadPart(parts.length + 1, part.bytes()));
          part.clear();
        }
      }
    }
    if (!upload) {
      const obj = await bucket.put(key, part.bytes(), { httpMetadata });
      return { key, size, etag: obj.httpEtag };
    }
    if (part.fill > 0) parts.push(await upload.uploadPart(parts.length + 1, part.bytes()));
    const obj = await upload.complete(parts);
    return { key, size, etag: obj.httpEtag };
  } catch (err) {
    await upload?.abort().catch(() => undefined);
    await reader.cancel().catch(() => undefined);
    throw err;
  }
}
