/** Durable Object stubs by the names that give each client's data its own objects. */
type StubEnv = Pick<Env, "CLIENTS" | "TASKGROUPS" | "DIRECTORY">;

export const clientStore = (env: Pick<StubEnv, "CLIENTS">, client: string) =>
  env.CLIENTS.get(env.CLIENTS.idFromName(client));

/** Named by client and id together, so another client's id reaches an empty object: 404, never the data. */
export const taskgroupStub = (env: Pick<StubEnv, "TASKGROUPS">, client: string, id: string) =>
  env.TASKGROUPS.get(env.TASKGROUPS.idFromName(`${client}/${id}`));

export const directory = (env: Pick<StubEnv, "DIRECTORY">) => env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));
