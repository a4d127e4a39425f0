/**
 * Signed links to a taskgroup's outputs and input files, for receivers that put a URL in `<img src>` or a player:
 * `/links/{client}/{id}/{expires}/{signature}/outputs/{step}/{file}` (and `inputs/…`), like an S3 presigned
 * URL for a folder. It sits in the path, not the query, so the relative segment names in an HLS playlist
 * resolve to links that open too. One signature per taskgroup, made at trigger time, so the Workers that
 * run steps need no secret to write links.
 *
 * The signature is an HMAC-SHA256 of the group's link prefix and the expiry (unix seconds) under a key
 * derived from SECRETS_KEY, which never leaves the API Worker, salted with the client's webhook signing
 * secret: a webhook receiver holds that secret but not SECRETS_KEY, so it cannot mint a link, and rotating
 * the secret still ends the links made under it (after the rotation's overlap). The lifetime is checked
 * when the link is used (at most LINK_TTL_S from now), so no link outlives the setting in force; the
 * end of the group's file retention ends it too (410).
 */
import { configOf } from "./config";
import { derivedHmacKey, fromHex, toHex } from "./crypto";
import type { TaskgroupLinks } from "../engine/types";

const enc = new TextEncoder();

/** Clocks of two isolates may differ a little; a link made "now" by one must pass the other's lifetime check. */
const CLOCK_SKEW_S = 300;

/** How long a link made now lives (`LINK_TTL_S`), and the most any link may have left when it is used. */
export const linkTtlS = (env: Pick<Env, "LINK_TTL_S">) => configOf(env).linkTtlS;

export const linkPrefix = (client: string, id: string) => `/links/${encodeURIComponent(client)}/${id}`;

const linkKey = (secretsKey: string, webhookSecret: string) =>
  derivedHmacKey(secretsKey, "cascade signed links v1", webhookSecret);

const signed = (client: string, id: string, expires: number) => enc.encode(`${linkPrefix(client, id)}\n${expires}`);

export async function linkSignature(
  secretsKey: string,
  webhookSecret: string,
  client: string,
  id: string,
  expires: number,
): Promise<string> {
  return toHex(await crypto.subtle.sign("HMAC", await linkKey(secretsKey, webhookSecret), signed(client, id, expires)));
}

export type LinkCheck = { ok: true } | { ok: false; why: "invalid" | "expired" };

/**
 * Whether a link is this engine's for this group, under one of the client's webhook secrets (a rotation's
 * overlap has two), with no more than `maxLifetimeS` left, and not yet expired.
 */
export async function checkLink(
  secretsKey: string,
  webhookSecrets: string[],
  link: { client: string; id: string; expires: number; signature: string },
  maxLifetimeS: number,
  nowS = Date.now() / 1000,
): Promise<LinkCheck> {
  const mac = fromHex(link.signature);
  let genuine = false;
  for (const secret of webhookSecrets) {
    // crypto.subtle.verify compares in constant time.
    const key = await linkKey(secretsKey, secret);
    if (await crypto.subtle.verify("HMAC", key, mac, signed(link.client, link.id, link.expires))) genuine = true;
  }
  if (!genuine || link.expires - nowS > maxLifetimeS + CLOCK_SKEW_S) return { ok: false, why: "invalid" };
  if (link.expires <= nowS) return { ok: false, why: "expired" };
  return { ok: true };
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
