import { z } from "@hono/zod-openapi";
import { STATUSES } from "../engine/types";

export { STATUSES };

const attempt = z.object({
  at: z.string(),
  status: z.number().nullable(),
  latency_ms: z.number(),
  response: z.string(),
  error: z.string().nullable(),
});

/** `GET /api/taskgroup/{id}`: the taskgroup, its steps and its deliveries with every attempt. */
export const taskgroupView = z
  .object({
    task_id: z.string(),
    kind: z.enum(["task", "taskgroup"]),
    status: z.enum(STATUSES),
    created_at: z.string(),
    started_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    steps: z.array(
      z
        .object({
          configuration: z.string(),
          task_id: z
            .string()
            .describe("The step's id: the same across retries, distinct between steps (callbacks' task_id)."),
          state: z.enum(["queued", "running", "succeeded", "failed", "skipped"]),
          attempts: z.number(),
          progress: z.number().nullable(),
          result: z.unknown(),
          error: z.string().nullable(),
          output: z
            .object({ file_name: z.string(), content_type: z.string(), size: z.number(), url: z.string() })
            .nullable(),
        })
        .passthrough(),
    ),
    results: z.array(z.object({ error: z.boolean(), result: z.unknown(), configuration: z.string() })).nullable(),
    deliveries: z.array(
      z
        .object({
          id: z.string(),
          kind: z.string(),
          event: z.string(),
          url: z.string(),
          state: z.string(),
          attempts: z.array(attempt),
        })
        .passthrough(),
    ),
  })
  .passthrough()
  .openapi("Taskgroup");

export type TaskgroupView = z.infer<typeof taskgroupView>;
