import { z } from "@hono/zod-openapi";
import { STATUSES } from "../engine/types";

/** The bodies callbacks send, per format (docs/api.md, Callbacks). They document /openapi.json's `webhooks` and pin the renderers in tests. */
const result = z.object({ error: z.boolean(), result: z.unknown(), configuration: z.string() });

export const vccBody = z
  .object({
    status: z.enum(STATUSES),
    task_id: z.string(),
    results: z.array(result),
  })
  .strict()
  .openapi("VccPayload");

export const jobEndBody = z
  .object({
    job_id: z.string(),
    task_id: z.string(),
    status: z.string(),
    workflow: z.string().nullable(),
    content_id: z.string().nullable(),
    custom_data: z.unknown(),
    start_date: z.string(),
    end_date: z.string().nullable(),
    results: z.array(result),
  })
  .strict()
  .openapi("JobEnd");

export const taskEventBody = z
  .object({
    job_id: z.string(),
    task_id: z.string().describe("The step's id: the same across its retries, distinct between steps."),
    task_name: z.string(),
    workflow: z.string().nullable(),
    event: z.enum(["task.started", "task.succeeded", "task.failed", "task.progress"]),
    content_id: z.string().nullable(),
    message: z.string().describe("The task's error message when it failed; empty otherwise."),
    progress: z.number().optional(),
  })
  .strict()
  .openapi("TaskEvent");

export const lightflowBody = z
  .object({
    uuid: z.string(),
    assetName: z.string(),
    inputUrl: z.string().nullable(),
    username: z.string().describe("The client's name."),
    startDate: z.string().nullable(),
    endDate: z.string().nullable(),
    status: z.enum(["queued", "processing", "finished", "failed", "cancelled"]),
    metadata: z
      .record(z.string(), z.unknown())
      .describe("custom_data as an object (a non-object value comes as {custom_data: value})."),
    duration: z.number().nullable().describe("The asset's media duration in seconds, when a step measured it."),
    assetUrl: z.string().nullable(),
    thumbnail: z.string().nullable(),
  })
  .strict()
  .openapi("LightflowPayload");

export const auroraBody = z
  .object({
    code: z.literal(0).describe("Always 0, as in the seed: the outcome is `msg` and each entry's `status`."),
    msg: z.string(),
    callback_url: z.string(),
    data: z.array(
      z
        .object({
          task_id: z.string().describe("The step's id: the same across its retries, distinct between steps."),
          input: z.string(),
          output: z.string().nullable(),
          format: z.string().nullable(),
          status: z.string(),
          duration: z.number().nullable(),
          spend_time: z.number().nullable(),
          error_code: z.number(),
          error_msg: z.string(),
        })
        .strict(),
    ),
  })
  .strict()
  .openapi("AuroraNotify");

/** Signature headers every HTTP callback carries (Standard Webhooks). */
const signed = z.object({
  "webhook-id": z.string(),
  "webhook-timestamp": z.string(),
  "webhook-signature": z.string().describe("v1,<base64 HMAC-SHA256>; two, space-separated, during a secret rotation"),
  "cascade-sequence": z.string().describe("Order of this message among the taskgroup's deliveries"),
});

export const webhookDocs = [
  {
    name: "vcc",
    description: "`webhook_url`, and callbacks with format `vcc`: the final taskgroup payload.",
    schema: vccBody,
  },
  {
    name: "job",
    description: "Callbacks with format `job` (default): the job end (`on_success`/`on_failure`).",
    schema: jobEndBody,
  },
  {
    name: "task-event",
    description: "Callbacks with format `job` and `on_progress`: each step's events.",
    schema: taskEventBody,
  },
  {
    name: "lightflow",
    description: "Callbacks with format `lightflow` (GET sends `status` and `endDate` as query parameters).",
    schema: lightflowBody,
  },
  {
    name: "aurora",
    description: "Callbacks with format `aurora`, and a storage target's `notify` URL.",
    schema: auroraBody,
  },
].map((w) => ({ ...w, headers: signed }));
