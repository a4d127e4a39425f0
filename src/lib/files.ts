import { streamToR2, type Written } from "./r2-writer";

/** R2 key layout: everything of a client lives under its own prefix. */
export const r2Keys = {
  /** Everything a client has in R2: assets, uploads, taskgroup files. */
  client: (client: string) => `clients/${client}/`,
  asset: (client: string, name: string) => `clients/${client}/assets/${name}`,
  /** Everything of one taskgroup (inputs, outputs, segments): what retention deletes. */
  taskgroup: (client: string, id: string) => `clients/${client}/taskgroups/${id}/`,
  input: (client: string, id: string, step: string, fileName: string) =>
    `clients/${client}/taskgroups/${id}/inputs/${step}/${fileName}`,
  /** A finished resumable upload: one segment after the id, so no file name meets a tail's key. */
  upload: (client: string, id: string, fileName: string) => `clients/${client}/uploads/${id}/${fileName}`,
  /** An open upload's bytes short of a whole part, one object per PATCH that wrote them (its lock token). */
  uploadTail: (client: string, id: string, token: string) => `clients/${client}/uploads/${id}/tails/${token}`,
  uploadTails: (client: string, id: string) => `clients/${client}/uploads/${id}/tails/`,
  output: (client: string, id: string, step: string, fileName: string) =>
    `clients/${client}/taskgroups/${id}/outputs/${step}/${fileName}`,
};

const R2_DELETE_BATCH = 1000;

/** How far a storage count goes before it answers "at least": 20 pages of 1,000 objects. */
const MAX_LIST_PAGES = 20;

/**
 * One client's files in R2: every R2 call of the engine goes through here. It refuses a key outside
 * the client's prefix, so a key that came from stored data can never reach another client's files.
 */
export class ClientFiles {
  private readonly prefix: string;

  constructor(
    private readonly bucket: R2Bucket,
    readonly client: string,
  ) {
    this.prefix = r2Keys.client(client);
  }

  private own(key: string): string {
    if (!key.startsWith(this.prefix)) throw new Error(`R2 key ${key} is outside client ${this.client}`);
    return key;
  }

  get(key: string, range?: R2Range) {
    return this.bucket.get(this.own(key), range ? { range } : undefined);
  }

  head(key: string) {
    return this.bucket.head(this.own(key));
  }

  put(key: string, body: ArrayBuffer | ArrayBufferView | string | ReadableStream, contentType: string) {
    return this.bucket.put(this.own(key), body, { httpMetadata: { contentType } });
  }

  /** A body of unknown length, in bounded memory (see r2-writer.ts). */
  putStream(key: string, body: ReadableStream<Uint8Array>, contentType: string): Promise<Written> {
    return streamToR2(this.bucket, this.own(key), body, contentType);
  }

  /** Best effort: what cannot be deleted now is left to retention or the next attempt. */
  async delete(keys: string | string[]): Promise<void> {
    const list = (Array.isArray(keys) ? keys : [keys]).map((k) => this.own(k));
    // R2 deletes at most 1,000 keys in one call.
    for (let i = 0; i < list.length; i += R2_DELETE_BATCH) await this.bucket.delete(list.slice(i, i + R2_DELETE_BATCH));
  }

  async deletePrefix(prefix: string): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix: this.own(prefix), cursor });
      if (page.objects.length) await this.bucket.delete(page.objects.map((o) => o.key));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }

  /** Bytes and objects the client holds; `complete` is false when the count stopped at its page limit. */
  async usage(): Promise<{ objects: number; bytes: number; complete: boolean }> {
    let objects = 0;
    let bytes = 0;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const listed = await this.bucket.list({ prefix: this.prefix, cursor, limit: 1000 });
      for (const o of listed.objects) {
        objects++;
        bytes += o.size;
      }
      if (!listed.truncated) return { objects, bytes, complete: true };
      cursor = listed.cursor;
    }
    return { objects, bytes, complete: false };
  }

  createMultipart(key: string, contentType: string) {
    return this.bucket.createMultipartUpload(this.own(key), { httpMetadata: { contentType } });
  }

  resumeMultipart(key: string, uploadId: string) {
    return this.bucket.resumeMultipartUpload(this.own(key), uploadId);
  }
}

export const filesOf = (env: Pick<Env, "FILES">, client: string) => new ClientFiles(env.FILES, client);
