/**
 * Submissions are bounded while they are read (issue 20): fields by count, text by total size, and
 * unknown fields refused from their header, before their bodies are read.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { DRAIN_LIMIT_BYTES } from "../src/lib/body-guard";
import { faults } from "../src/lib/faults";
import { api, file, newClient, putConfiguration, putStorage, submit, waitForEnd, type TestClient } from "./support/api";

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
    // The field's body is never parsed or held: what was in flight when the header was read, then at most
    // what the body guard discards so the connection survives (src/lib/body-guard.ts); never the 8 MB.
    expect(body.pulled()).toBeLessThan(1024 * 1024 + DRAIN_LIMIT_BYTES);
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

describe("a submission that cannot be stored leaves nothing behind", () => {
  /** The inputs of step `step` stored under any taskgroup of `c`. */
  const inputsLeft = async (step: string) =>
    (await env.FILES.list({ prefix: `clients/${c.name}/taskgroups/` })).objects
      .map((o) => o.key)
      .filter((k) => k.includes(`/inputs/${step}_data/`));

  /** A form with a file input and `names` chained one after another. */
  const chained = (names: string[]) => {
    const f = new FormData();
    f.set("configuration_names", JSON.stringify(names));
    f.set(`${names[0]}_data`, file("payload", "in.bin"));
    for (const [i, n] of names.slice(1).entries()) f.set(`${n}_input`, names[i]!);
    return f;
  };

  it("a spec over the row limit is refused with 413 up front; its inputs and its Idempotency-Key are free", async () => {
    // Ten compositor links of ~60 KB params per configuration: four such configurations store ~2.4 MB.
    const link = { adapter: "image-compositor", params: { additional_context: { pad: "x".repeat(60_000) } } };
    const names = ["big0", "big1", "big2", "big3"];
    for (const n of names) await putConfiguration(c, n, { chain: Array.from({ length: 10 }, () => link) });
    const key = { "idempotency-key": "too-big" };
    const res = await submit(c, chained(names), "taskgroup", key);
    expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([413, "spec_too_large"]);
    expect(res.body.error.details.limit_bytes).toBe(1536 * 1024);
    expect(await inputsLeft("big0")).toEqual([]);
    // The key was never bound: a different, valid body with it is accepted (not 409).
    const ok = await submit(c, chained(["up"]), "taskgroup", key);
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    await waitForEnd(c, ok.body.task_id);
  });

  it("a creation that fails (503) removes the inputs it stored and frees its Idempotency-Key", async () => {
    const d = await newClient("bounds-503");
    await putStorage(d, "s");
    await putConfiguration(d, "up", { adapter: "s3-upload", params: { storage: "s" } });
    faults.arm("rpc:create", d.name, 2); // both tries of the create RPC
    const key = { "idempotency-key": "fails-once" };
    const res = await submit(d, chained(["up"]), "taskgroup", key);
    faults.reset();
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect((await env.FILES.list({ prefix: `clients/${d.name}/taskgroups/` })).objects).toEqual([]);
    const other = new FormData();
    other.set("configuration_names", '["up"]');
    other.set("up_data", file("another body", "other.bin"));
    const ok = await submit(d, other, "taskgroup", key);
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    await waitForEnd(d, ok.body.task_id);
  });
});

describe("client-given header values and names are checked on arrival", () => {
  const withFile = (name: string, fileName: string, type: string) =>
    `${head("configuration_names")}["up"]\r\n${head(name, fileName, type)}abc\r\n--${BOUNDARY}--\r\n`;

  it("a part's Content-Type with a line break is refused (submission and asset PUT), not stored", async () => {
    const res = await post(withFile("up_data", "in.bin", "image/png\nX-Evil: 1"));
    expect(await errorOf(res)).toEqual({ status: 400, code: "malformed_multipart" });
    const asset = await api("/api/assets/evil.png", {
      method: "PUT",
      headers: { ...c.auth, "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      body: `${head("file", "evil.png", "image/png\rX: y")}abc\r\n--${BOUNDARY}--\r\n`,
    });
    expect(await errorOf(asset)).toEqual({ status: 400, code: "malformed_multipart" });
    expect((await api("/api/assets/evil.png", { headers: c.auth })).status).toBe(404);
  });

  it("a file name over 255 bytes is a 400, not a 503 that invites retries", async () => {
    const res = await post(withFile("up_data", `${"n".repeat(1000)}.bin`, "application/octet-stream"));
    expect(await errorOf(res)).toEqual({ status: 400, code: "file_name_too_long" });
    // 255 bytes exactly is kept (a two-byte character counts twice).
    expect((await post(withFile("up_data", `${"é".repeat(125)}a.bin`, "application/octet-stream"))).status).toBe(202);
  });
});
