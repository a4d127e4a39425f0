import { createRoute, z } from "@hono/zod-openapi";
import { activeSecrets } from "../delivery/sign";
import { ApiError } from "../lib/errors";
import { checkLink, linkTtlS } from "../lib/signed-links";
import { clientExists, clientStore, taskgroupStub } from "../lib/stubs";
import { filesOf } from "../lib/files";
import { binaryContent, errorResponses } from "../schemas/common";
import { router } from "./app-env";
import { serveOutput } from "./taskgroups";
import { resourceName } from "../lib/resource-name";

/** Signed links to outputs and input files: no API key, the expiry and signature in the path (src/lib/signed-links.ts). */
export const links = router();

const invalid = () =>
  new ApiError(
    403,
    "link_invalid",
    "This link is not valid (altered, not made by this engine, or signed before a secret rotation).",
  );

links.openapi(
  createRoute({
    method: "get",
    path: "/links/{client}/{id}/{expires}/{signature}/{which}/{step}/{file_name}",
    tags: ["taskgroup"],
    description:
      "A step's output (or input file) through the signed link that callbacks and the status document carry; no API key.",
    request: {
      params: z.object({
        client: resourceName,
        id: z.uuid(),
        expires: z.coerce.number().int().positive(),
        signature: z.string().regex(/^[0-9a-f]{64}$/, "not a link signature"),
        which: z.enum(["outputs", "inputs"]),
        step: resourceName,
        file_name: z.string().min(1).max(255),
      }),
    },
    responses: {
      200: {
        description: "The output file",
        content: binaryContent,
      },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { client, id, expires, signature, which, step, file_name } = c.req.valid("param");
    // An unknown client is just an invalid link: a link says nothing about which clients exist, and
    // the Directory is asked first so that a made-up name creates no client object.
    if (!(await clientExists(c.env, client))) throw invalid();
    const secrets = activeSecrets(await clientStore(c.env, client).signingSecrets());
    const check = await checkLink(c.env.SECRETS_KEY, secrets, { client, id, expires, signature }, linkTtlS(c.env));
    if (!check.ok && check.why === "invalid") throw invalid();
    if (!check.ok)
      throw new ApiError(
        403,
        "link_expired",
        "This link has expired; the output is still at /api/taskgroup/{id}/outputs/… with an API key while the files are kept.",
      );
    return (await serveOutput(
      filesOf(c.env, client),
      () => taskgroupStub(c.env, client, id),
      step,
      file_name,
      which,
    )) as never;
  },
);
