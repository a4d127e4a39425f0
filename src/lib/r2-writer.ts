/**
 * Writes a stream of unknown length to R2 in bounded memory: bytes gather into one part of
 * PART_BYTES; a body that fits is one put, a larger one an R2 multipart upload whose parts are all
 * PART_BYTES but the last (R2 wants equal parts). Caps are counted on the bytes read (`limited`).
 */

/** 5 MiB, the smallest part R2 takes: the most a writer holds at once. */
export const PART_BYTES = 5 * 1024 * 1024;

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
  // One buffer for every part: once uploadPart has resolved, R2 holds the bytes and it can be refilled.
  const part = new Uint8Array(PART_BYTES);
  let fill = 0;
  let size = 0;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      for (let off = 0; off < value.byteLength; ) {
        const n = Math.min(PART_BYTES - fill, value.byteLength - off);
        part.set(value.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill === PART_BYTES) {
          upload ??= await bucket.createMultipartUpload(key, { httpMetadata });
          parts.push(await upload.uploadPart(parts.length + 1, part));
          fill = 0;
        }
      }
    }
    if (!upload) {
      const obj = await bucket.put(key, part.subarray(0, fill), { httpMetadata });
      return { key, size, etag: obj.httpEtag };
    }
    if (fill > 0) parts.push(await upload.uploadPart(parts.length + 1, part.subarray(0, fill)));
    const obj = await upload.complete(parts);
    return { key, size, etag: obj.httpEtag };
  } catch (err) {
    await upload?.abort().catch(() => undefined);
    await reader.cancel().catch(() => undefined);
    throw err;
  }
}
