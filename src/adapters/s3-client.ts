import { AwsClient } from "aws4fetch";
import { StepError } from "../lib/failures";
import type { StorageTarget } from "../engine/types";

/** Parts of this size stream from R2 one at a time, so memory stays flat for any file size. */
export const PART_SIZE = 8 * 1024 * 1024;
/**
 * Tries of one part before the upload is given up (and the step's own retry starts it over). A part
 * is read again from R2 for each try, so a 5xx on part 900 of a large file costs one part, not 900.
 */
export const PART_TRIES = 3;
/** Wait after failed try n: 1 s, then 2 s. */
const partBackoffMs = (tries: number) => 500 * 2 ** tries;

export interface PutResult {
  etag: string;
  uploadId?: string;
}

type Body = ReadableStream | ArrayBuffer | string;

/** SigV4 S3 client for one storage target and one object; every failure becomes a readable StepError. */
export class S3Object {
  private readonly aws: AwsClient;
  readonly url: string;

  constructor(
    private readonly target: StorageTarget,
    readonly key: string,
    private readonly fileName: string,
  ) {
    // Queue retries own retrying: aws4fetch's own retries could not resend a consumed stream.
    this.aws = new AwsClient({
      accessKeyId: target.access_key_id,
      secretAccessKey: target.secret_access_key,
      service: "s3",
      region: target.region,
      retries: 0,
    });
    this.url = objectUrl(target, key);
  }

  async put(body: Body, size: number, contentType: string): Promise<PutResult> {
    const res = await this.send("PutObject", this.url, "PUT", body, {
      "content-type": contentType,
      "content-length": String(size),
    });
    return { etag: unquote(res.headers.get("etag")) };
  }

  /** Multipart upload; `part(n)` yields part n (1-based) of `parts`. Aborts the upload on any failure. */
  async putMultipart(
    parts: number,
    part: (n: number) => Promise<{ body: Body; size: number }>,
    contentType: string,
  ): Promise<PutResult> {
    const created = await this.send("CreateMultipartUpload", `${this.url}?uploads`, "POST", "", {
      "content-type": contentType,
    });
    const uploadId = xmlField(await created.text(), "UploadId");
    if (!uploadId) throw this.rejected("CreateMultipartUpload", "MalformedResponse", "the response has no UploadId");
    try {
      const etags: string[] = [];
      for (let n = 1; n <= parts; n++) etags.push(await this.uploadPart(uploadId, n, part));
      const xml =
        "<CompleteMultipartUpload>" +
        etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>"${e}"</ETag></Part>`).join("") +
        "</CompleteMultipartUpload>";
      const done = await this.send(
        "CompleteMultipartUpload",
        `${this.url}?uploadId=${encodeURIComponent(uploadId)}`,
        "POST",
        xml,
        {
          "content-type": "application/xml",
        },
      );
      const text = await done.text();
      // S3 can answer 200 with an <Error> body on CompleteMultipartUpload.
      if (/<Error>/.test(text))
        throw this.rejected(
          "CompleteMultipartUpload",
          xmlField(text, "Code") ?? "InternalError",
          xmlField(text, "Message") ?? text,
        );
      return { etag: unquote(xmlField(text, "ETag")), uploadId };
    } catch (err) {
      await this.abort(uploadId);
      throw err;
    }
  }

  /**
   * Best effort: the step's failure is what matters. An abort that does not take leaves the parts
   * in the bucket (billed until a lifecycle rule removes them), so it is logged with the upload id.
   */
  private async abort(uploadId: string): Promise<void> {
    let outcome: number | string;
    try {
      const res = await this.aws.fetch(`${this.url}?uploadId=${encodeURIComponent(uploadId)}`, {
        method: "DELETE",
        redirect: "manual",
      });
      await res.body?.cancel();
      outcome = res.status;
    } catch (err) {
      outcome = String(err);
    }
    if (outcome === 204 || outcome === 200) return;
    console.warn(
      JSON.stringify({
        msg: "multipart upload not aborted",
        bucket: this.target.bucket,
        key: this.key,
        uploadId,
        outcome,
      }),
    );
  }

  /** One part, tried up to PART_TRIES times while S3 answers 5xx/429 or cannot be reached; its ETag. */
  private async uploadPart(
    uploadId: string,
    n: number,
    part: (n: number) => Promise<{ body: Body; size: number }>,
  ): Promise<string> {
    const url = `${this.url}?partNumber=${n}&uploadId=${encodeURIComponent(uploadId)}`;
    for (let tries = 1; ; tries++) {
      const { body, size } = await part(n);
      try {
        const res = await this.send("UploadPart", url, "PUT", body, { "content-length": String(size) });
        return unquote(res.headers.get("etag"));
      } catch (err) {
        // A stream the failed request never read still holds its R2 read open.
        if (body instanceof ReadableStream && !body.locked) await body.cancel().catch(() => undefined);
        const transient = err instanceof StepError && err.failure.kind === "storage_unavailable";
        if (!transient || tries >= PART_TRIES) throw err;
        await new Promise((r) => setTimeout(r, partBackoffMs(tries)));
      }
    }
  }

  /** `operation` is the S3 API name, which failure messages carry in boto3's wording (what VCC's receivers parse). */
  private async send(
    operation: string,
    url: string,
    method: string,
    body: Body,
    headers: Record<string, string>,
  ): Promise<Response> {
    let res: Response;
    try {
      // Never followed: a signed request must not be bounced to a host the outbound rules never saw.
      res = await this.aws.fetch(url, { method, body, headers, redirect: "manual" });
    } catch (err) {
      throw this.failure(
        "storage_unavailable",
        `Could not connect to the endpoint URL: "${url.split("?")[0]}" (${String((err as Error)?.message ?? err)})`,
      );
    }
    if (res.ok) return res;
    const text = await res.text();
    const code = xmlField(text, "Code") ?? String(res.status);
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    const message =
      xmlField(text, "Message") ??
      (location
        ? `redirected to ${location}, which Cascade does not follow (check the region and endpoint)`
        : text.slice(0, 200) || res.statusText);
    if (res.status >= 500 || res.status === 429)
      throw this.failure("storage_unavailable", awsError(operation, code, message));
    throw this.rejected(operation, code, message);
  }

  private rejected(operation: string, code: string, detail: string): StepError {
    return this.failure("storage_rejected", awsError(operation, code, detail));
  }

  private failure(kind: "storage_rejected" | "storage_unavailable", detail: string): StepError {
    return new StepError({ kind, fileName: this.fileName, bucket: this.target.bucket, key: this.key, detail });
  }
}

/** boto3's words for a refused call, e.g. "An error occurred (InvalidAccessKeyId) when calling the PutObject operation: …". */
const awsError = (operation: string, code: string, message: string) =>
  `An error occurred (${code}) when calling the ${operation} operation: ${message}`;

/** An object key as a URL path: each segment escaped, the slashes kept. */
const keyPath = (key: string) => key.split("/").map(encodeURIComponent).join("/");

type Addressed = Pick<StorageTarget, "endpoint" | "bucket" | "region" | "addressing">;

/** Where requests for `key` go: virtual-hosted on AWS and wherever `addressing` says so (OSS), else path-style. */
export function objectUrl(target: Addressed, key: string): string {
  const path = keyPath(key);
  if (!target.endpoint) return `https://${target.bucket}.s3.${target.region}.amazonaws.com/${path}`;
  const base = new URL(target.endpoint);
  const basePath = base.pathname.replace(/\/+$/, "");
  if (target.addressing === "virtual") return `${base.protocol}//${target.bucket}.${base.host}${basePath}/${path}`;
  return `${base.protocol}//${base.host}${basePath}/${target.bucket}/${path}`;
}
/** The object's URL as VCC reports it: path-style on `s3.amazonaws.com` for AWS, under the endpoint otherwise. */
export function reportedUrl(target: Addressed, key: string): string {
  if (target.endpoint) return objectUrl(target, key);
  return `https://s3.amazonaws.com/${target.bucket}/${keyPath(key)}`;
}

export function xmlField(xml: string, field: string): string | undefined {
  const m = new RegExp(`<${field}>([\\s\\S]*?)</${field}>`).exec(xml);
  return m?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">");
}

const unquote = (etag: string | null | undefined) => (etag ?? "").replace(/^"|"$/g, "");
