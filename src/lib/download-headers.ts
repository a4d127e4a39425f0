/**
 * Stored files carry the content type their uploader chose. Served from the API's origin, they are
 * never sniffed into something else, and an HTML or SVG file cannot run script there.
 */
export const DOWNLOAD_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "sandbox",
} as const;
