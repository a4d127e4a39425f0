import { ApiError } from "./errors";

export const maxUploadBytes = (env: Pick<Env, "MAX_UPLOAD_MB">) => Number(env.MAX_UPLOAD_MB) * 1024 * 1024;

export const tooLarge = (env: Pick<Env, "MAX_UPLOAD_MB">) =>
  new ApiError(413, "payload_too_large", `The upload is larger than the ${env.MAX_UPLOAD_MB} MB limit.`, {
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

/** Parses a multipart body; a malformed one is a 400, not a 500. */
export async function readForm(req: Request): Promise<FormData> {
  try {
    return await req.formData();
  } catch (err) {
    throw new ApiError(400, "malformed_multipart", `The multipart/form-data body could not be parsed: ${(err as Error).message}`);
  }
}

export const mediaType = (req: Request) => (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
