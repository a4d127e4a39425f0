/** Local development (`npm run dev`, tests): outbound rules relax to this machine, and the demo client exists. */
export const isDev = (env: Pick<Env, "ENVIRONMENT">) => env.ENVIRONMENT === "development";
