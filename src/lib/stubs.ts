/** Durable Object stubs by the names that give each client's data its own objects. */
type StubEnv = Pick<Env, "CLIENTS" | "TASKGROUPS" | "DIRECTORY">;

export const clientStore = (env: Pick<StubEnv, "CLIENTS">, client: string) =>
  env.CLIENTS.get(env.CLIENTS.idFromName(client));

/** Named by client and id together, so another client's id reaches an empty object: 404, never the data. */
export const taskgroupStub = (env: Pick<StubEnv, "TASKGROUPS">, client: string, id: string) =>
  env.TASKGROUPS.get(env.TASKGROUPS.idFromName(`${client}/${id}`));

export const directory = (env: Pick<StubEnv, "DIRECTORY">) => env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));

/** Client names the Directory confirmed in this isolate: clients are never deleted, so a yes stays true. */
const knownClients = new Set<string>();

/**
 * Whether the operator made this client. Ask before any ClientStore: getting one creates it (a SQLite
 * file for any name a stranger sends).
 */
export async function clientExists(env: Pick<StubEnv, "DIRECTORY">, name: string): Promise<boolean> {
  if (knownClients.has(name)) return true;
  if (!(await directory(env).exists(name))) return false;
  knownClients.add(name);
  return true;
}
