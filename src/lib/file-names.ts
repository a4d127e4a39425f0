/**
 * The longest file name kept, in UTF-8 bytes (most file systems' limit). An R2 key holds 1,024 bytes
 * with the client's and taskgroup's prefix in front: a longer name would fail at R2, not here.
 */
export const MAX_FILE_NAME_BYTES = 255;

export const fileNameTooLong = (name: string) => new TextEncoder().encode(name).length > MAX_FILE_NAME_BYTES;

/** A name safe as the last segment of an R2 key and of a download URL: word characters, '.', '-'; never '.' or '..'. */
export function safeFileName(name: string, fallback: string): string {
  const safe = name.replace(/[^\w.-]+/g, "_");
  return safe && safe !== "." && safe !== ".." ? safe : fallback;
}
