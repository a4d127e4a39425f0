/** The longest file name taken (UTF-8 bytes): what common file systems allow, and far inside R2's 1,024-byte keys. */
export const MAX_FILE_NAME_BYTES = 255;

/** True when `name` is longer than MAX_FILE_NAME_BYTES in UTF-8. */
export const fileNameTooLong = (name: string): boolean =>
  new TextEncoder().encode(name).byteLength > MAX_FILE_NAME_BYTES;

/** A name safe as the last segment of an R2 key and of a download URL: word characters, '.', '-'; never '.' or '..'. */
export function safeFileName(name: string, fallback: string): string {
  const safe = name.replace(/[^\w.-]+/g, "_");
  return safe && safe !== "." && safe !== ".." ? safe : fallback;
}
