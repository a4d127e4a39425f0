/**
 * File grants: links that let a holder of no credentials read one stored file, or write the files of
 * one step's output folder, until they expire. The native media server (a container with no keys)
 * gets one per input and one for its outputs. A grant is `<payload>.<mac>`, both base64url: the
 * payload names the client, the operation, the key (read) or folder (write) and the expiry; the MAC
 * is an HMAC-SHA256 with a key derived from SECRETS_KEY, which never leaves the API Worker, so no
 * webhook receiver or step Worker can mint one. The lifetime is checked against MAX_GRANT_S when the
 * grant is used, not only when it is made.
 */
import { derivedHmacKey, fromBase64 } from "./crypto";
import { r2Keys } from "./files";

/** The longest a grant may live: one native job's wall time (README "Video") and its transfers. */
export const MAX_GRANT_S = 2 * 3600;

export interface FileGrant {
  op: "read" | "write";
  client: string;
  /** read: the one R2 key; write: the folder (ends in `/`) the files go under. */
  key: string;
  /** Unix seconds. */
  exp: number;
}

export type GrantCheck = { ok: true; grant: FileGrant } | { ok: false; why: "invalid" | "expired" };

const enc = new TextEncoder();
const dec = new TextDecoder();

const b64url = (bytes: Uint8Array) => {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const fromB64url = (text: string) => fromBase64(text.replace(/-/g, "+").replace(/_/g, "/"));

const grantKey = (secretsKey: string) => derivedHmacKey(secretsKey, "cascade file grants v1");

export async function mintGrant(secretsKey: string, grant: FileGrant): Promise<string> {
  const payload = b64url(enc.encode(JSON.stringify(grant)));
  const mac = await crypto.subtle.sign("HMAC", await grantKey(secretsKey), enc.encode(payload));
  return `${payload}.${b64url(new Uint8Array(mac))}`;
}

/** Whether `token` is a grant this engine made, still within its time, and for a key of its client. */
export async function checkGrant(secretsKey: string, token: string, nowS = Date.now() / 1000): Promise<GrantCheck> {
  const [payload, mac, extra] = token.split(".");
  if (!payload || !mac || extra !== undefined) return { ok: false, why: "invalid" };
  let macBytes: Uint8Array;
  let grant: FileGrant;
  try {
    macBytes = fromB64url(mac);
    grant = JSON.parse(dec.decode(fromB64url(payload))) as FileGrant;
  } catch {
    return { ok: false, why: "invalid" };
  }
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", await grantKey(secretsKey), macBytes, enc.encode(payload))))
    return { ok: false, why: "invalid" };
  if (
    (grant.op !== "read" && grant.op !== "write") ||
    typeof grant.client !== "string" ||
    typeof grant.key !== "string" ||
    !grant.key.startsWith(r2Keys.client(grant.client)) ||
    (grant.op === "write" && !grant.key.endsWith("/")) ||
    typeof grant.exp !== "number" ||
    grant.exp - nowS > MAX_GRANT_S
  )
    return { ok: false, why: "invalid" };
  if (grant.exp <= nowS) return { ok: false, why: "expired" };
  return { ok: true, grant };
}

/** How long the grants of one native run live: a run is bounded well inside this (README "Video"). */
export const STEP_GRANT_S = 3600;

/** What a native run is handed: a read URL per input key, and the URL its outputs are PUT under. */
export interface StepGrants {
  reads: string[];
  /** `PUT {upload}/{file_name}` stores a file in the step's output folder. */
  upload: string;
}

/** The grants of one step's run: its inputs (any keys of the client) and its own output folder. */
export async function stepGrants(
  secretsKey: string,
  origin: string,
  at: { client: string; taskgroupId: string; step: string },
  readKeys: string[],
  nowS = Math.floor(Date.now() / 1000),
): Promise<StepGrants> {
  const exp = nowS + STEP_GRANT_S;
  const url = (token: string) => `${origin}/files/${token}`;
  const reads = await Promise.all(
    readKeys.map(async (key) => url(await mintGrant(secretsKey, { op: "read", client: at.client, key, exp }))),
  );
  const folder = r2Keys.output(at.client, at.taskgroupId, at.step, "");
  return { reads, upload: url(await mintGrant(secretsKey, { op: "write", client: at.client, key: folder, exp })) };
}
