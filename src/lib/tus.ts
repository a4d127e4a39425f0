import { ApiError } from "./errors";

/** The pieces of tus 1.0 (https://tus.io/protocols/resumable-upload) that need no state. */
export const TUS_VERSION = "1.0.0";
export const TUS_EXTENSIONS = "creation,creation-with-upload,termination,expiration";
export const TUS_CONTENT_TYPE = "application/offset+octet-stream";

/** `Upload-Metadata: filename d29ybGQuanBn,is_confidential` → { filename: "world.jpg", is_confidential: "" }; null when malformed. */
export function parseUploadMetadata(header: string | undefined): Record<string, string> | null {
  const out: Record<string, string> = {};
  if (!header?.trim()) return out;
  for (const pair of header.split(",")) {
    const [key, value, extra] = pair.trim().split(" ");
    if (!key || extra !== undefined || !/^[\x21-\x7e]+$/.test(key) || key in out) return null;
    try {
      out[key] =
        value === undefined
          ? ""
          : new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
              Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0)),
            );
    } catch {
      return null;
    }
  }
  return out;
}

/** A non-negative integer header (Upload-Length, Upload-Offset), or null. */
export function parseOffset(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** RFC 9110 date, as tus wants Upload-Expires. */
export const httpDate = (ms: number) => new Date(ms).toUTCString();

export const TUS_HEADERS = { "Tus-Resumable": TUS_VERSION };

/** A tus refusal: our JSON error envelope, with the Tus-Resumable header every tus answer carries. */
export const tusError = (
  status: 400 | 404 | 409 | 410 | 413 | 415,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) => new ApiError(status, code, message, undefined, { ...TUS_HEADERS, ...headers });

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[ !#-\\[\\]-~]*"))*$`);

/**
 * A media type (RFC 9110: `type/subtype`, parameters optional) that can go back out as a
 * Content-Type header: printable ASCII only, no line break, at most 255 characters.
 */
export const isHeaderSafeMediaType = (value: string): boolean => value.length <= 255 && MEDIA_TYPE.test(value);
