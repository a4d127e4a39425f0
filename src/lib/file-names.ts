/** A name safe as the last segment of an R2 key and of a download URL: word characters, '.', '-'; never '.' or '..'. */
export function safeFileName(name: string, fallback: string): string {
  const safe = name.replace(/[^\w.-]+/g, "_");
  return safe && safe !== "." && safe !== ".." ? safe : fallback;
}
