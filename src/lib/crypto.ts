/** Small WebCrypto helpers: hashing, constant-time comparison, random tokens, AES-GCM at rest. */

const enc = new TextEncoder();

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Hex to bytes; the caller has checked it is hex of even length. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", enc.encode(text)));
}

/** Compares two strings in time independent of where they differ (hashes first, so lengths match). */
export async function timingSafeEqualText(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(a)),
    crypto.subtle.digest("SHA-256", enc.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}

export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

export function newWebhookSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

/** SECRETS_KEY is base64 of exactly 32 bytes (AES-256); checked on every request, not first at a storage call. */
export function isValidSecretsKey(secretsKey: string): boolean {
  try {
    return fromBase64(secretsKey).length === 32;
  } catch {
    return false;
  }
}

/**
 * An HMAC key of its own for one use of SECRETS_KEY (HKDF, `info` naming the use), so no derived key
 * says anything of the AES key or of another use's key. `salt` binds it to something more (a client's
 * webhook secret for signed links, so rotating that secret ends them).
 */
export async function derivedHmacKey(secretsKey: string, info: string, salt = ""): Promise<CryptoKey> {
  if (!isValidSecretsKey(secretsKey)) throw new Error("SECRETS_KEY must be base64 of exactly 32 bytes");
  const base = await crypto.subtle.importKey("raw", fromBase64(secretsKey), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: enc.encode(salt), info: enc.encode(info) },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}

async function aesKey(secretsKey: string): Promise<CryptoKey> {
  if (!isValidSecretsKey(secretsKey)) throw new Error("SECRETS_KEY must be base64 of exactly 32 bytes");
  const raw = fromBase64(secretsKey);
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** Encrypts a secret for storage: `v1.<iv>.<ciphertext>`, both base64. */
/** A secret sealed with SECRETS_KEY (`v1.<iv>.<ciphertext>`): a string the type system keeps apart from plain ones. */
export type SealedSecret = string & { readonly __sealed: unique symbol };

export async function encryptSecret(secretsKey: string, plain: string): Promise<SealedSecret> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await aesKey(secretsKey), enc.encode(plain));
  return `v1.${toBase64(iv)}.${toBase64(new Uint8Array(ct))}` as SealedSecret;
}

export async function decryptSecret(secretsKey: string, sealed: SealedSecret): Promise<string> {
  const [version, iv, ct] = sealed.split(".");
  if (version !== "v1" || !iv || !ct) throw new Error("unknown sealed secret format");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv) },
    await aesKey(secretsKey),
    fromBase64(ct),
  );
  return new TextDecoder().decode(plain);
}

/** `AKIAIOSFODNN7EXAMPLE` → `AKIA****MPLE`; short values are hidden whole. */
export function mask(value: string): string {
  return value.length <= 8 ? "****" : `${value.slice(0, 4)}****${value.slice(-4)}`;
}
