import { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../lib/errors";

export interface AppEnv {
  Bindings: Env;
  Variables: { client: string };
}

/** Every router is built this way so zod validation failures become the one JSON error envelope. */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
        const first = issues[0];
        throw new ApiError(
          400,
          "invalid_request",
          first ? `${first.path || "body"}: ${first.message}` : "The request is not valid.",
          { issues },
        );
      }
    },
  });
}
