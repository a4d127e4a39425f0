/**
 * Signed links to a taskgroup's outputs and input files, for receivers that put a URL in `<img src>` or a player:
 * `/links/{client}/{id}/{expires}/{signature}/outputs/{step}/{file}` (and `inputs/…`), the signature an HMAC-SHA256
 * of the group's link prefix and the expiry (unix seconds) with the client's webhook signing secret,
 * like an S3 presigned URL for a folder. It sits in the path, not the query, so the relative
 * segment names in an HLS playlist resolve to links that open too. One signature per taskgroup, made at trigger time, so the
 * Workers that run steps need no secret to write links. Rotating the secret ends them (after the
 * rotation's overlap), and so does the end of the group's file retention (410).
 */

const enc = new TextEncoder();

export interface TaskgroupLinks {
  expires: number;
  signature: string;
}

export const linkPrefix = (client: string, id: string) => `/links/${encodeURIComponent(client)}/${id}`;

export async function linkSignature(secret: string, client: string, id: string, expires: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = await crypto.subtle.sign("HMAC", key, enc.encode(`${linkPrefix(client, id)}\n${expires}`));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether `signature` is this group's for `expires` under any of the secrets (a rotation's overlap has two). */
export async function linkIsGenuine(
  secrets: string[],
  client: string,
  id: string,
  expires: number,
  signature: string,
): Promise<boolean> {
  for (const secret of secrets) {
    const expected = await linkSignature(secret, client, id, expires);
    // Both are fixed-length hex; compare in constant time.
    if (
      expected.length === signature.length &&
      crypto.subtle.timingSafeEqual(enc.encode(expected), enc.encode(signature))
    )
      return true;
  }
  return false;
}

type Which = "outputs" | "inputs";

const filePath = (which: Which, step: string, fileName: string) =>
  `${which}/${encodeURIComponent(step)}/${encodeURIComponent(fileName)}`;

const signedUrl = (origin: string, client: string, id: string, links: TaskgroupLinks, path: string) =>
  `${origin}${linkPrefix(client, id)}/${links.expires}/${links.signature}/${path}`;

/** Where a step's output is downloaded: the signed link when the group has one, else the authenticated route. */
export function outputLink(
  origin: string,
  client: string,
  id: string,
  links: TaskgroupLinks | undefined,
  step: string,
  fileName: string,
): string {
  const path = filePath("outputs", step, fileName);
  return links ? signedUrl(origin, client, id, links, path) : `${origin}/api/taskgroup/${id}/${path}`;
}

/**
 * The signed link to a step's input file (sent with the submission, or a tus upload), under the same
 * signature as the outputs; null for groups stored before links were signed (no keyless route).
 */
export function inputLink(
  origin: string,
  client: string,
  id: string,
  links: TaskgroupLinks | undefined,
  step: string,
  fileName: string,
): string | null {
  return links ? signedUrl(origin, client, id, links, filePath("inputs", step, fileName)) : null;
}
