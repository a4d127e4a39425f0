/**
 * The fuzz tier's requests, from a seed: every route of /openapi.json (and the ones outside it),
 * every content type, malformed JSON and multipart, wrong and missing credentials. Pure: the same
 * seed gives the same sequence, so a failure can be replayed with FUZZ_SEED.
 */

/** mulberry32: small, seedable, good enough to pick cases. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof rng>;

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
  /** What the case is, for the report of a failure. */
  label: string;
}

export interface Route {
  method: string;
  path: string;
}

/** Routes the OpenAPI document does not list. */
export const EXTRA_ROUTES: Route[] = [
  { method: "get", path: "/" },
  { method: "get", path: "/dashboard.js" },
  { method: "get", path: "/docs" },
  { method: "get", path: "/openapi.json" },
  { method: "get", path: "/links/{client}/{id}/{step}/{file}" },
  { method: "get", path: "/nope/{id}" },
  { method: "options", path: "/api/uploads" },
];

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"] as const;

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/merge-patch+json",
  "multipart/form-data; boundary=fz",
  "multipart/form-data",
  'multipart/form-data; boundary="fz"',
  "multipart/form-data; boundary=other",
  "text/plain",
  "application/octet-stream",
  "image/png",
  "application/x-www-form-urlencoded",
  "application/offset+octet-stream",
  "a/b;;;=",
  "",
];

const SEGMENTS = [
  "demo",
  "x",
  "a".repeat(200),
  "00000000-0000-4000-8000-000000000000",
  "..",
  "%00",
  "%2e%2e",
  "%E2%9C%93",
  "cfg_1",
  "logo.png",
  "UPPER",
  "out.png",
];

const NAMES = ["configuration_names", "configuration_name", "cfg_data", "cfg_url", "cfg_input", "cfg_extras"];
const MORE_NAMES = [
  "callbacks",
  "webhook_url",
  "custom_data",
  "content_id",
  "workflow",
  "data",
  "nope",
  "file",
  "a\u0000b",
];

function jsonValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 3 ? 4 : 7)) {
    case 0:
      return r.int(1000) - 500;
    case 1:
      return r.pick(["", "x", "cfg", "http://127.0.0.1:1/", "https://example.com/x", "a\u0000b", "é".repeat(10)]);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return Array.from({ length: r.int(4) }, () => jsonValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--)
        o[r.pick([...NAMES, ...MORE_NAMES, "adapter", "params", "name", "type"])] = jsonValue(r, depth + 1);
      return o;
    }
  }
}

function jsonBody(r: Rng): Buffer {
  switch (r.int(8)) {
    case 0:
      return Buffer.from("{");
    case 1:
      return Buffer.from("[".repeat(200) + "]".repeat(200));
    case 2:
      return Buffer.from(`{"configuration_names": ["cfg"], "cfg_url": "${"x".repeat(r.int(300_000))}"}`);
    case 3:
      return Buffer.from('{"a": "\\ud800"}');
    case 4:
      return Buffer.alloc(r.int(2000), r.int(256));
    default:
      return Buffer.from(
        JSON.stringify(
          r.chance(0.8) ? jsonValue(r) : { configuration_names: ["cfg"], cfg_url: "https://example.com/a.png" },
        ),
      );
  }
}

/** A multipart body, well-formed or broken in one of the ways clients break them. */
function multipartBody(r: Rng, boundary = "fz"): Buffer {
  const parts: Buffer[] = [];
  const fields = 1 + r.int(6);
  for (let i = 0; i < fields; i++) {
    const name = r.pick([...NAMES, ...MORE_NAMES]);
    const isFile = r.chance(0.4);
    const fileName = r.pick(["a.png", "a\u0000b", "x".repeat(1000), "..", "é.bin", 'q"uote', ""]);
    const type = r.pick(["image/png", "text/plain", "image/png\nX-Evil: 1", "bad", "application/octet-stream", ""]);
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"`;
    if (isFile) head += `; filename="${fileName}"`;
    head += "\r\n";
    if (type) head += `Content-Type: ${type}\r\n`;
    if (r.chance(0.05)) head = `--${boundary}\r\nX-No-Disposition: 1\r\n`;
    const value =
      name === "configuration_names" && r.chance(0.7)
        ? Buffer.from(r.pick(['["cfg"]', "[]", "cfg", '["a","a"]']))
        : r.chance(0.1)
          ? Buffer.alloc(r.int(200_000), 120)
          : Buffer.from(JSON.stringify(jsonValue(r)));
    parts.push(Buffer.from(`${head}\r\n`), value, Buffer.from("\r\n"));
  }
  switch (r.int(8)) {
    case 0:
      break; // no closing delimiter
    case 1:
      parts.push(Buffer.from(`--${boundary}`)); // cut short
      break;
    case 2:
      parts.unshift(Buffer.from("preamble\r\n"));
      parts.push(Buffer.from(`--${boundary}--\r\n`));
      break;
    default:
      parts.push(Buffer.from(`--${boundary}--\r\n`));
  }
  return Buffer.concat(parts);
}

function bodyFor(r: Rng, contentType: string): Buffer | undefined {
  if (r.chance(0.1)) return undefined;
  if (contentType.includes("json")) return jsonBody(r);
  if (contentType.startsWith("multipart/")) return multipartBody(r, r.chance(0.9) ? "fz" : "zz");
  if (r.chance(0.3)) return multipartBody(r);
  if (r.chance(0.3)) return jsonBody(r);
  return Buffer.alloc(r.int(r.chance(0.05) ? 3_000_000 : 5000), r.int(256));
}

export function fuzzRequest(r: Rng, routes: Route[], auth: Record<string, string>[]): FuzzRequest {
  const route = r.pick(routes);
  const method = r.chance(0.85) ? route.method.toUpperCase() : r.pick(METHODS).toUpperCase();
  const path =
    route.path.replace(/\{[^}]+\}/g, () => r.pick(SEGMENTS)) + (r.chance(0.1) ? "?limit=-1&status=x&cursor=%ZZ" : "");
  const contentType = r.pick(CONTENT_TYPES);
  const headers: Record<string, string> = { ...r.pick(auth) };
  if (contentType) headers["content-type"] = contentType;
  if (r.chance(0.1)) headers["idempotency-key"] = r.pick(["k", "x".repeat(300), ""]);
  if (r.chance(0.1)) {
    headers["tus-resumable"] = "1.0.0";
    headers["upload-length"] = r.pick(["10", "-1", "x", "99999999999999"]);
    headers["upload-offset"] = r.pick(["0", "3", "x"]);
    headers["upload-metadata"] = r.pick(["filename YS5wbmc=", "filename", "filetype dGV4dC9wbGFpbgo=", "a b c"]);
  }
  const body = method === "GET" || method === "HEAD" ? undefined : bodyFor(r, contentType);
  return {
    method,
    path,
    headers,
    body,
    chunked: body !== undefined && r.chance(0.2),
    label: `${method} ${path} [${contentType}] ${body ? `${body.length} B` : "no body"}`,
  };
}
