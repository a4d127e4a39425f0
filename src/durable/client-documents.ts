import type { ConfigurationInput } from "../schemas/configuration";
import type { SealedTarget } from "./storage-targets";
import { clientStore } from "../lib/stubs";

/**
 * The client object's documents, typed: the object stores JSON by name and knows nothing of its
 * shape, so the one cast from its `Record<string, unknown>` to each document's type is here.
 */
interface Documents {
  configurations: ConfigurationInput;
  storage_targets: SealedTarget;
}

type Stored<T> = T & { name: string; updated_at: string };

function documents<T extends keyof Documents>(env: Pick<Env, "CLIENTS">, client: string, table: T) {
  const store = () => clientStore(env, client);
  return {
    put: (name: string, body: Documents[T]) => store().putDocument(table, name, body),
    get: async (name: string) =>
      (await store().getDocument(table, name)) as (Documents[T] & { updated_at: string }) | null,
    /** The named ones that exist, by name. */
    getMany: async (names: string[]) =>
      (await store().getDocuments(table, names)) as Partial<Record<string, Documents[T]>>,
    list: async () => (await store().listDocuments(table)) as Stored<Documents[T]>[],
    delete: (name: string) => store().deleteDocument(table, name),
  };
}

export const configurationDocs = (env: Pick<Env, "CLIENTS">, client: string) =>
  documents(env, client, "configurations");
export const storageTargetDocs = (env: Pick<Env, "CLIENTS">, client: string) =>
  documents(env, client, "storage_targets");
