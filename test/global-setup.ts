/**
 * Starts the real peers the Worker talks to in tests: an S3 server that checks SigV4 (also behind a
 * front that fails scripted requests), and a webhook receiver.
 */
import S3rver from "@20minutes/s3rver";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startReceiver } from "./support/receiver";
import { startS3Front } from "./support/s3-front";

// s3rver's built-in account is S3RVER / S3RVER; storage targets in tests use it.

export default async function setup(project: TestProject) {
  const directory = mkdtempSync(join(tmpdir(), "cascade-s3-"));
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: "media" }, { name: "archive" }],
  });
  const { port: s3Port } = (await s3.run()) as { port: number };
  const receiver = await startReceiver();
  const front = await startS3Front(`http://127.0.0.1:${s3Port}`);
  project.provide("s3Endpoint", `http://127.0.0.1:${s3Port}`);
  project.provide("s3FrontEndpoint", `http://127.0.0.1:${front.port}`);
  project.provide("receiverUrl", `http://127.0.0.1:${receiver.port}`);
  return async () => {
    receiver.server.closeAllConnections();
    await new Promise((r) => receiver.server.close(r));
    front.server.closeAllConnections();
    await new Promise((r) => front.server.close(r));
    await s3.close();
    rmSync(directory, { recursive: true, force: true });
  };
}
