/**
 * Submissions are bounded while they are read (issue 20): fields by count, text by total size, and
 * unknown fields refused from their header, before their bodies are read.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, newClient, putConfiguration, putStorage, type TestClient } from "./support/api";

let c: TestClient;

beforeAll(async () => {
  c = await newClient("bounds");
  await putStorage(c, "s");
  await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
});

const BOUNDARY = "----bounds";
const enc = new TextEncoder();

/** One part's headers; its body follows. */
const head = (name: string, fileName?: string, type?: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${fileName === undefined ? "" : `; filename="${fileName}"`}\r\n` +
  `${type === undefined ? "" : `Content-Type: ${type}\r\n`}\r\n`;

/** A whole multipart body of text fields. */
const form = (fields: [string, string][]) =>
  `${fields.map(([k, v]) => `${head(k)}${v}\r\n`).join("")}--${BOUNDARY}--\r\n`;

function post(body: BodyInit, kind = "taskgroup") {
  return api(`/api/${kind}/`, {
    method: "POST",
    headers: { ...c.auth, "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
    body,
  });
}

/** A body of `prefix` and then `size` bytes of filler, counting what the Worker pulled. */
function countedBody(prefix: string, size: number) {
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(97);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(enc.encode(prefix));
    },
    pull(controller) {
      if (sent >= size) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => sent };
}

const errorOf = async (res: Response) => ({ status: res.status, code: ((await res.json()) as any).error.code });

describe("multipart submissions are bounded while they are read", () => {
  it("an unknown field is refused from its header: its body is not read", async () => {
    const body = countedBody(head("not_a_field"), 8 * 1024 * 1024);
    expect(await errorOf(await post(body.stream))).toEqual({ status: 400, code: "unknown_field" });
    // Only what was in flight when the header was read: far less than the field's 8 MB (or its 1 MB cap).
    expect(body.pulled()).toBeLessThan(1024 * 1024);
  });

  it("a field for a configuration not in configuration_names is refused once the names are read", async () => {
    const res = await post(
      form([
        ["configuration_names", '["up"]'],
        ["other_extras", "{}"],
      ]),
    );
    expect(await errorOf(res)).toEqual({ status: 400, code: "unknown_field" });
  });

  it("more fields than any submission has: 413 too_many_fields", async () => {
    // Well-formed names (configuration_names comes last), so only the count can refuse them.
    const fields: [string, string][] = Array.from({ length: 200 }, (_, i) => [`s${i}_extras`, "{}"]);
    const res = await post(form([...fields, ["configuration_names", '["up"]']]));
    expect(await errorOf(res)).toEqual({ status: 413, code: "too_many_fields" });
  });

  it("text fields over 2 MB together: 413 fields_too_large, each under its own 1 MB", async () => {
    const big = `"${"x".repeat(900 * 1024)}"`;
    const res = await post(
      form([
        ["a_extras", big],
        ["b_extras", big],
        ["c_extras", big],
        ["configuration_names", '["up"]'],
      ]),
    );
    const { status, code } = await errorOf(res);
    expect({ status, code }).toEqual({ status: 413, code: "fields_too_large" });
  });

  it("a valid submission still passes", async () => {
    const body =
      `${head("configuration_names")}["up"]\r\n${head("up_data", "in.bin", "application/octet-stream")}abc\r\n` +
      `--${BOUNDARY}--\r\n`;
    expect((await post(body)).status).toBe(202);
  });
});
