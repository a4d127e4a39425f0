import { configOf, MB } from "./config";
import { ApiError } from "./errors";
import { fileNameTooLong, MAX_FILE_NAME_BYTES } from "./file-names";
import { boundaryOf, formParts, MultipartError } from "./multipart-stream";
import type { ClientFiles } from "./files";
import { limited, SizeLimitExceeded } from "./r2-writer";

export const maxUploadBytes = (env: Pick<Env, "MAX_UPLOAD_MB">) => configOf(env).maxUploadBytes;

export const tooLarge = (env: Pick<Env, "MAX_UPLOAD_MB">) =>
  new ApiError(413, "payload_too_large", `The upload is larger than the ${maxUploadBytes(env) / MB} MB limit.`, {
    limit_bytes: maxUploadBytes(env),
  });

/** Refuses an oversized body from its Content-Length, before any of it is read. */
export function checkDeclaredLength(req: Request, env: Pick<Env, "MAX_UPLOAD_MB">): number | null {
  const header = req.headers.get("content-length");
  if (header === null) return null;
  const length = Number(header);
  if (length > maxUploadBytes(env)) throw tooLarge(env);
  return length;
}

export const mediaType = (req: Request) => (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();

/** A file of a submission, already in R2: what a multipart file field becomes. */
export class StoredFile {
  constructor(
    readonly key: string,
    readonly name: string,
    readonly type: string,
    readonly size: number,
  ) {}
}

/** Text fields are configuration names, JSON and short values: none needs more. */
const MAX_TEXT_FIELD_BYTES = 1024 * 1024;

/** The request body counted as it is read: over the upload limit it fails at once with a 413. */
function countedBody(req: Request, env: Pick<Env, "MAX_UPLOAD_MB">): ReadableStream<Uint8Array> {
  if (!req.body) throw new ApiError(400, "empty_body", "The request has no body.");
  return limited(req.body, maxUploadBytes(env));
}

/** Maps what reading and storing a body can throw to the API's errors. */
export function uploadError(err: unknown, env: Pick<Env, "MAX_UPLOAD_MB">): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof SizeLimitExceeded) return tooLarge(env);
  if (err instanceof MultipartError)
    return new ApiError(
      400,
      "malformed_multipart",
      `The multipart/form-data body could not be parsed: ${err.message}.`,
    );
  // R2 (or the connection) failed under the upload: nothing was kept, and sending it again works.
  console.error(JSON.stringify({ msg: "upload not stored", error: String(err), stack: (err as Error)?.stack }));
  return new ApiError(
    503,
    "temporarily_unavailable",
    "The upload could not be stored just now; send it again.",
    undefined,
    { "Retry-After": "1" },
  );
}

/** One text field's bytes, held to its own limit and to what is left (`used` of `total`) for all fields. */
async function readText(body: ReadableStream<Uint8Array>, used: number, total: number): Promise<Uint8Array> {
  const limit = Math.min(MAX_TEXT_FIELD_BYTES, total - used);
  try {
    return await new Response(limited(body, limit)).bytes();
  } catch (err) {
    if (!(err instanceof SizeLimitExceeded) || err.limitBytes !== limit) throw err;
    if (limit === MAX_TEXT_FIELD_BYTES)
      throw new ApiError(
        413,
        "field_too_large",
        `A text field is larger than ${MAX_TEXT_FIELD_BYTES / 1024 / 1024} MB.`,
      );
    throw new ApiError(413, "fields_too_large", `The text fields together are larger than ${total / 1024 / 1024} MB.`, {
      limit_bytes: total,
    });
  }
}

/** What one submission's fields may be: judged while the body is read, before a field's body is kept. */
export interface FormRules {
  /** Fields in all. */
  maxFields: number;
  /** The text fields' bytes together (each is also held to MAX_TEXT_FIELD_BYTES). */
  maxTextBytes: number;
  /** Whether a field of this name can belong to the request, given the fields read so far. */
  known: (name: string, fields: ReadonlyMap<string, string | StoredFile>) => boolean;
}

/**
 * Reads a multipart/form-data body part by part: each file goes to R2 (at `keyFor(field, file)`) as
 * it arrives, text fields are kept. Memory holds one R2 part at most, whatever the file sizes, and
 * text at most `rules.maxTextBytes`: an unknown field is refused from its header, before its body.
 * On failure every object written so far is deleted.
 */
export async function readStreamedForm(
  req: Request,
  env: Pick<Env, "MAX_UPLOAD_MB">,
  files: ClientFiles,
  keyFor: (field: string, fileName: string) => string,
  rules: FormRules,
): Promise<Map<string, string | StoredFile>> {
  checkDeclaredLength(req, env);
  const boundary = boundaryOf(req.headers.get("content-type") ?? "");
  if (!boundary)
    throw new ApiError(400, "malformed_multipart", "The multipart/form-data Content-Type has no boundary.");
  const fields = new Map<string, string | StoredFile>();
  const written: string[] = [];
  let textBytes = 0;
  try {
    for await (const part of formParts(countedBody(req, env), boundary)) {
      if (fields.has(part.name)) throw new ApiError(400, "duplicate_field", `The field '${part.name}' is given twice.`);
      if (!rules.known(part.name, fields))
        throw new ApiError(400, "unknown_field", `Unknown field '${part.name}'.`, { field: part.name });
      if (fields.size >= rules.maxFields)
        throw new ApiError(413, "too_many_fields", `A submission has at most ${rules.maxFields} fields.`, {
          limit: rules.maxFields,
        });
      if (part.filename === undefined) {
        const text = await readText(part.body, textBytes, rules.maxTextBytes);
        textBytes += text.length;
        fields.set(part.name, new TextDecoder().decode(text));
        continue;
      }
      if (fileNameTooLong(part.filename))
        throw new ApiError(
          400,
          "file_name_too_long",
          `The file name of '${part.name}' is longer than ${MAX_FILE_NAME_BYTES} bytes.`,
          { limit_bytes: MAX_FILE_NAME_BYTES },
        );
      const key = keyFor(part.name, part.filename);
      written.push(key);
      const stored = await files.putStream(key, part.body, part.contentType);
      fields.set(part.name, new StoredFile(key, part.filename, part.contentType, stored.size));
    }
    return fields;
  } catch (err) {
    await files.delete(written).catch(() => undefined);
    throw uploadError(err, env);
  }
}

/** Streams a raw body into R2 at `key`, counting it against the upload limit. */
export async function storeRawBody(
  req: Request,
  env: Pick<Env, "MAX_UPLOAD_MB">,
  files: ClientFiles,
  key: string,
  contentType: string,
) {
  checkDeclaredLength(req, env);
  try {
    return await files.putStream(key, countedBody(req, env), contentType);
  } catch (err) {
    throw uploadError(err, env);
  }
}

/** The multipart field `file` streamed into R2 at `key` (other fields are skipped); null when there is none. */
export async function storeFormFile(req: Request, env: Pick<Env, "MAX_UPLOAD_MB">, files: ClientFiles, key: string) {
  checkDeclaredLength(req, env);
  const boundary = boundaryOf(req.headers.get("content-type") ?? "");
  if (!boundary)
    throw new ApiError(400, "malformed_multipart", "The multipart/form-data Content-Type has no boundary.");
  try {
    for await (const part of formParts(countedBody(req, env), boundary)) {
      if (part.name !== "file" || part.filename === undefined) continue;
      return { ...(await files.putStream(key, part.body, part.contentType)), contentType: part.contentType };
    }
    return null;
  } catch (err) {
    throw uploadError(err, env);
  }
}
