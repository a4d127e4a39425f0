import { decryptSecret, encryptSecret, mask, type SealedSecret } from "../lib/crypto";
import type { StorageView } from "../schemas/storage";
import type { StorageTarget } from "../engine/types";

/** A storage target as kept in the client's Durable Object: both keys sealed with AES-GCM. */
export type SealedTarget = Omit<StorageTarget, "access_key_id" | "secret_access_key"> & {
  access_key_id: SealedSecret;
  secret_access_key: SealedSecret;
};

export async function sealTarget(secretsKey: string, t: StorageTarget): Promise<SealedTarget> {
  return {
    ...t,
    access_key_id: await encryptSecret(secretsKey, t.access_key_id),
    secret_access_key: await encryptSecret(secretsKey, t.secret_access_key),
  };
}

export async function openTarget(secretsKey: string, t: SealedTarget): Promise<StorageTarget> {
  return {
    ...t,
    access_key_id: await decryptSecret(secretsKey, t.access_key_id),
    secret_access_key: await decryptSecret(secretsKey, t.secret_access_key),
  };
}

/** What `GET /api/storage` shows: the access key id masked, the secret never. */
export async function viewTarget(secretsKey: string, t: SealedTarget & { updated_at: string }): Promise<StorageView> {
  return { ...t, access_key_id: mask(await decryptSecret(secretsKey, t.access_key_id)), secret_access_key: "****" };
}
