import { DOWNLOAD_HEADERS } from "../lib/download-headers";
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, notFound } from "../lib/errors";
import { clientStore, taskgroupStub } from "../lib/stubs";
import { filesOf, type ClientFiles } from "../lib/files";
import { withRetries } from "../lib/retry";
import type { CommandResult } from "../durable/taskgroup";
import { binaryContent, errorResponses, jsonResponse } from "../schemas/common";
import { type AppEnv, router } from "./app-env";
import { STATUSES, taskgroupView } from "../schemas/taskgroup";
import type { Context } from "hono";
import { resourceName } from "../lib/resource-name";

const idParam = z.object({ id: z.uuid({ message: "a task id is a UUID" }) });

/**
 * The taskgroup's object. It is named by client and id, so another client's id reaches an empty
 * object: a 404. The index answers first; the object itself when its index row is still on its way.
 */
async function ownedTaskgroup(c: Context<AppEnv>, id: string) {
  const client = c.get("client");
  // A fresh stub per call: a stub whose object was reset under it stays broken.
  const group = () => taskgroupStub(c.env, client, id);
  if (!(await clientStore(c.env, client).hasTaskgroup(id)) && (await read(() => group().status())) === null)
    throw notFound("Taskgroup", id);
  return group;
}

/** A read of a taskgroup object, repeated once (with a fresh stub) if it failed: the object may have been reset under it. */
const read = <T>(fn: () => Promise<T>) => withRetries(fn, 2, 100);

export const taskgroups = router();

for (const kind of ["taskgroup", "task"] as const) {
  taskgroups.openapi(
    createRoute({
      method: "get",
      path: `/api/${kind}/{id}`,
      tags: [kind],
      request: { params: idParam },
      responses: { 200: jsonResponse("Status, steps and deliveries", taskgroupView), ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const group = await ownedTaskgroup(c, id);
      const view = await read(() => group().view());
      if (!view) throw notFound("Taskgroup", id);
      return c.json(view, 200);
    },
  );
}

const cursorCodec = {
  encode: (row: { created_at: string; id: string }) => btoa(`${row.created_at}|${row.id}`).replace(/=+$/, ""),
  decode(cursor: string) {
    try {
      const [created_at, id] = atob(cursor).split("|");
      if (created_at && id) return { created_at, id };
    } catch {
      /* fall through to the 400 */
    }
    throw new ApiError(400, "invalid_cursor", "cursor is not one this API returned.");
  },
};

taskgroups.openapi(
  createRoute({
    method: "get",
    path: "/api/taskgroup",
    tags: ["taskgroup"],
    request: {
      query: z.object({
        status: z.enum(STATUSES).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(20),
        cursor: z.string().max(200).optional(),
      }),
    },
    responses: {
      200: jsonResponse(
        "The client's taskgroups, newest first",
        z.object({
          taskgroups: z.array(
            z.object({
              task_id: z.string(),
              kind: z.string(),
              status: z.string(),
              created_at: z.string(),
              updated_at: z.string(),
            }),
          ),
          next_cursor: z.string().nullable(),
        }),
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { status, limit, cursor } = c.req.valid("query");
    const rows = await clientStore(c.env, c.get("client")).listTaskgroups({
      status,
      limit: limit + 1,
      cursor: cursor ? cursorCodec.decode(cursor) : undefined,
    });
    const page = rows.slice(0, limit);
    return c.json(
      {
        taskgroups: page.map(({ id, ...r }) => ({ task_id: id, ...r })),
        next_cursor: rows.length > limit ? cursorCodec.encode(page[page.length - 1]!) : null,
      },
      200,
    );
  },
);

taskgroups.openapi(
  createRoute({
    method: "get",
    path: "/api/taskgroup/{id}/outputs/{step}/{file_name}",
    tags: ["taskgroup"],
    request: { params: idParam.extend({ step: resourceName, file_name: z.string().min(1).max(255) }) },
    responses: {
      200: {
        description: "The output file",
        content: binaryContent,
      },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { id, step, file_name } = c.req.valid("param");
    return (await serveOutput(filesOf(c.env, c.get("client")), await ownedTaskgroup(c, id), step, file_name)) as never;
  },
);

/** A step's output (or, behind signed links, input) file as a download: 410 once retention deleted it. */
export async function serveOutput(
  files: ClientFiles,
  group: () => ReturnType<typeof taskgroupStub>,
  step: string,
  fileName: string,
  which: "outputs" | "inputs" = "outputs",
): Promise<Response> {
  const key = await read(() =>
    which === "outputs" ? group().outputKey(step, fileName) : group().inputKey(step, fileName),
  );
  if (key === "expired")
    throw new ApiError(
      410,
      "output_expired",
      "This taskgroup's files were deleted at the end of their retention period.",
    );
  const obj = key && (await files.get(key));
  if (!obj) throw notFound(which === "outputs" ? "Output" : "Input", `${step}/${fileName}`);
  const headers = new Headers({ ...DOWNLOAD_HEADERS, "content-length": String(obj.size), etag: obj.httpEtag });
  obj.writeHttpMetadata(headers);
  return new Response(obj.body, { headers });
}

for (const action of ["cancel", "retry"] as const) {
  taskgroups.openapi(
    createRoute({
      method: "post",
      path: `/api/taskgroup/{id}/${action}`,
      tags: ["taskgroup"],
      description:
        action === "cancel"
          ? "Stop a Queued or Running taskgroup; callbacks report Cancelled."
          : "Resume a Failed taskgroup from its failed step.",
      request: { params: idParam },
      responses: {
        202: jsonResponse("Accepted", z.object({ task_id: z.string(), status: z.enum(STATUSES) })),
        ...errorResponses,
        409: errorResponses[400],
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const group = await ownedTaskgroup(c, id);
      // One id per request: a repeat after a reset of the object gets the first answer, not a 409.
      const requestId = crypto.randomUUID();
      const result: CommandResult = await withRetries(
        async () => (await group().command(action, requestId)) as CommandResult,
        2,
      );
      if (!result.ok)
        throw new ApiError(
          409,
          `cannot_${action}`,
          `This taskgroup cannot be ${action === "cancel" ? "cancelled" : "retried"}: ${result.why}.`,
        );
      return c.json({ task_id: id, status: result.status }, 202);
    },
  );
}

taskgroups.openapi(
  createRoute({
    method: "post",
    path: "/api/taskgroup/{id}/deliveries/{delivery_id}/redeliver",
    tags: ["taskgroup"],
    request: { params: idParam.extend({ delivery_id: z.string().regex(/^msg_[0-9a-f]{32}$/) }) },
    responses: {
      202: jsonResponse(
        "Queued again, with the same webhook-id",
        z.object({ delivery_id: z.string(), state: z.literal("pending") }),
      ),
      ...errorResponses,
      409: errorResponses[400],
    },
  }),
  async (c) => {
    const { id, delivery_id } = c.req.valid("param");
    const outcome = await (await ownedTaskgroup(c, id))().redeliver(delivery_id);
    if (outcome === "not_found") throw notFound("Delivery", delivery_id);
    if (outcome === "not_dead")
      throw new ApiError(
        409,
        "delivery_not_dead",
        "Only a dead-lettered delivery can be redelivered; this one is still pending or already succeeded.",
      );
    return c.json({ delivery_id, state: "pending" as const }, 202);
  },
);

taskgroups.openapi(
  createRoute({
    method: "get",
    path: "/api/deliveries",
    tags: ["deliveries"],
    request: {
      query: z.object({
        state: z.enum(["dead", "succeeded"]).default("dead"),
        limit: z.coerce.number().int().min(1).max(100).default(50),
      }),
    },
    responses: {
      200: jsonResponse(
        "Finished deliveries across the client's taskgroups, newest first",
        z.object({
          deliveries: z.array(
            z.object({
              id: z.string(),
              task_id: z.string(),
              kind: z.string(),
              event: z.string(),
              url: z.string(),
              state: z.string(),
              attempts: z.number(),
              ended_at: z.string().nullable(),
            }),
          ),
        }),
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { state, limit } = c.req.valid("query");
    return c.json({ deliveries: await clientStore(c.env, c.get("client")).listDeliveries(state, limit) }, 200);
  },
);
