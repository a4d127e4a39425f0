import { z } from "@hono/zod-openapi";
import { badRequest } from "../lib/errors";
import { templateFields } from "../lib/body-template";
import { checkOutboundUrl } from "../lib/outbound-url";
import { auroraBody, jobEndBody, lightflowBody, taskEventBody, vccBody } from "./callback-bodies";
import { freeJsonProblem } from "../lib/json-limits";
import { CALLBACK_FORMATS, type CallbackFormat, type CallbackSpec } from "../engine/types";

export const MAX_CALLBACKS = 20;
const MAX_HEADERS = 20;
const MAX_HEADER_VALUE = 4096;
/** Headers a caller may not set: they would break or forge the request. */
const FORBIDDEN_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);

/** The fields a body template may name: those of the format's bodies, and `event`. */
const FORMAT_FIELDS: Record<CallbackFormat, string[]> = {
  job: [...new Set([...Object.keys(jobEndBody.shape), ...Object.keys(taskEventBody.shape)])],
  vcc: Object.keys(vccBody.shape),
  lightflow: Object.keys(lightflowBody.shape),
  aurora: Object.keys(auroraBody.shape),
};

export const retrySchema = z
  .object({
    attempts: z.number().int().min(0).max(20).describe("Retries after the first attempt."),
    interval_s: z.number().int().min(1).max(43_200),
  })
  .strict();

export const callbackSchema = z
  .object({
    url: z.string().max(2048),
    method: z.enum(["POST", "PUT", "GET"]).default("POST"),
    headers: z
      .array(
        z
          .object({
            name: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, "not a valid header name"),
            value: z
              .string()
              .max(MAX_HEADER_VALUE, `header values are limited to ${MAX_HEADER_VALUE} characters`)
              .regex(/^[\x20-\x7e]*$/, "header values may contain only visible ASCII characters and spaces"),
          })
          .strict(),
      )
      .max(MAX_HEADERS)
      .default([]),
    on_success: z.boolean().optional(),
    on_failure: z.boolean().optional(),
    on_progress: z.boolean().optional(),
    // camelCase spellings existing clients send
    onSuccess: z.boolean().optional(),
    onFailure: z.boolean().optional(),
    onProgressEncoding: z.boolean().optional(),
    format: z
      .enum(CALLBACK_FORMATS)
      .optional()
      .describe("The body's format: job (default; lightflow when `source` is given)."),
    // LightFlow's callback key: its `lightflow` callbacks are the only ones Cascade sends.
    source: z.string().max(64).optional(),
    retry: retrySchema.optional(),
    body_template: z
      .unknown()
      .optional()
      .describe(
        "JSON sent instead of the format's body, its `{{field}}` placeholders filled from that body (and `event`).",
      ),
  })
  .strict()
  .openapi("Callback");

/** A callback as clients send it. */
export type CallbackInput = z.input<typeof callbackSchema>;

export const scheduleOf = (retry: z.infer<typeof retrySchema>): number[] =>
  Array.from({ length: retry.attempts }, () => retry.interval_s);

const EMAIL = /^mailto:([^@\s?]+@[^@\s?]+\.[^@\s?]+)$/i;

/** `mailto:` in any case is an email callback, never an HTTP one. */
export const isMailto = (url: string) => /^mailto:/i.test(url);

/** Validates the `callbacks` field (JSON text in multipart, an array in JSON) into CallbackSpecs. */
export function readCallbacks(raw: unknown, dev: boolean): CallbackSpec[] {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw badRequest("malformed_json", "callbacks is not valid JSON.");
    }
  }
  if (!Array.isArray(value))
    throw badRequest("invalid_callbacks", "callbacks must be a JSON array of callback objects.");
  if (value.length > MAX_CALLBACKS)
    throw badRequest("invalid_callbacks", `At most ${MAX_CALLBACKS} callbacks per submission (got ${value.length}).`);
  return value.map((item, i) => {
    const parsed = callbackSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw badRequest("invalid_callbacks", `callbacks[${i}].${issue.path.join(".")}: ${issue.message}`, {
        issues: parsed.error.issues.map((x) => ({ path: `callbacks[${i}].${x.path.join(".")}`, message: x.message })),
      });
    }
    const c = parsed.data;
    const forbidden = c.headers.find((h) => FORBIDDEN_HEADERS.has(h.name.toLowerCase()));
    if (forbidden)
      throw badRequest(
        "invalid_callbacks",
        `callbacks[${i}].headers: '${forbidden.name}' cannot be set on a callback.`,
      );
    if (c.source !== undefined && c.source !== "lightflow") {
      throw badRequest(
        "invalid_callbacks",
        `callbacks[${i}].source: '${c.source}' is not supported; Cascade sends LightFlow's 'lightflow' callbacks only.`,
      );
    }
    const format = c.format ?? (c.source ? "lightflow" : "job");
    if (c.body_template !== undefined) checkTemplate(c.body_template, format, c.method, i);
    const url = EMAIL.test(c.url) ? c.url : checkOutboundUrl(c.url, `callbacks[${i}].url`, dev);
    return {
      url,
      method: c.method,
      headers: c.headers.map((h) => [h.name, h.value] as [string, string]),
      onSuccess: c.on_success ?? c.onSuccess ?? true,
      onFailure: c.on_failure ?? c.onFailure ?? true,
      // LightFlow fires onProgressEncoding when an encoding task completes, not as it starts or moves.
      onProgress: c.on_progress ?? (c.onProgressEncoding ? "ends" : false),
      format,
      schedule: c.retry ? scheduleOf(c.retry) : undefined,
      ...(c.body_template !== undefined ? { template: c.body_template } : {}),
    };
  });
}

/** A body template is refused at submission, not at send: bounded JSON, a body to put it in, known fields only. */
function checkTemplate(template: unknown, format: CallbackFormat, method: string, i: number): void {
  const at = `callbacks[${i}].body_template`;
  const problem = freeJsonProblem(template);
  if (problem) throw badRequest("invalid_callbacks", `${at} ${problem}.`);
  if (method === "GET") throw badRequest("invalid_callbacks", `${at}: a GET callback sends no body.`);
  const known = [...FORMAT_FIELDS[format], "event"];
  const unknown = templateFields(template).filter((f) => !known.includes(f));
  if (unknown.length)
    throw badRequest(
      "invalid_callbacks",
      `${at}: no field {{${unknown[0]}}} in the ${format} format; it has ${known.join(", ")}.`,
    );
}
