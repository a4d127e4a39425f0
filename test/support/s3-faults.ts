/** Scripted S3 failures, as the tests ask the front for them and read what reached it. */
import { expect, inject } from "vitest";

export interface S3Fault {
  /** Only requests whose path and query contain this (a client's name in the key, `partNumber=2`…). */
  match: string[];
  status: number;
  /** The S3 error code in the body; InternalError unless given. */
  code?: string;
  /** How many matching requests get the failure; later ones pass. */
  times: number;
}

export interface S3Request {
  method: string;
  path: string;
  /** What the front answered: the scripted failure, or s3rver's status. */
  status: number;
}

/** The S3 peer behind the front (test/support/s3-front.ts); storage targets may point at it. */
export const s3FrontEndpoint = () => inject("s3FrontEndpoint");

/** Scripts a failure for the requests that match. */
export async function s3Fault(f: S3Fault) {
  const res = await fetch(`${s3FrontEndpoint()}/__faults`, { method: "POST", body: JSON.stringify(f) });
  expect(res.status).toBe(201);
}

/**
 * What reached the S3 front for one object, in order, as `<call> <status>`: "create 200", "part 2 503"…
 * An abort is only "abort": s3rver has no AbortMultipartUpload (it answers 405), so only the request is news.
 */
export async function s3Calls(key: string): Promise<string[]> {
  const res = await fetch(`${s3FrontEndpoint()}/__log?match=${encodeURIComponent(key)}`);
  const log = (await res.json()) as S3Request[];
  return log.map(({ method, path, status }) => {
    const name = callName(method, path);
    return name === "abort" ? name : `${name} ${status}`;
  });
}

function callName(method: string, path: string): string {
  const part = /partNumber=(\d+)/.exec(path)?.[1];
  if (part) return `part ${part}`;
  if (path.endsWith("?uploads")) return "create";
  if (path.includes("uploadId=")) return method === "DELETE" ? "abort" : "complete";
  return method;
}
