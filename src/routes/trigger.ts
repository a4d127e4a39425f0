import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { validateChain, chainOf, type ConfigurationInput } from "../schemas/configuration";
import { applyExtras, readSubmission, taskToGroupFields, type FieldValue, type Submission } from "../schemas/submission";
import { r2Keys, type StepSpec, type TaskgroupSpec } from "../durable/taskgroup-model";
import { checkOutboundUrl } from "../lib/outbound-url";
import { safeFileName } from "../lib/file-names";
import { sha256Hex } from "../lib/crypto";
import { ApiError, badRequest } from "../lib/errors";
import { clientStore, taskGroup } from "../lib/stubs";
import { fault } from "../lib/faults";
import { withRetries } from "../lib/retry";
import { checkDeclaredLength, maxUploadBytes, mediaType, readForm, tooLarge } from "../lib/uploads";
import { errorResponses } from "../schemas/common";
import { isDev, router, type AppEnv } from "./app-env";
import { assetRefs } from "../adapters/catalog";
import { readCallbacks } from "../schemas/callbacks";

const acceptedSchema = z
  .object({ task_id: z.uuid(), status: z.literal("Queued"), status_url: z.url() })
  .openapi("Accepted");

/** Both body kinds become one map of fields; JSON values keep their types, multipart values are strings or Files. */
async function readFields(c: Context<AppEnv>): Promise<Map<string, FieldValue>> {
  checkDeclaredLength(c.req.raw, c.env);
  const type = mediaType(c.req.raw);
  if (type === "multipart/form-data") {
    const form = await readForm(c.req.raw);
    const fields = new Map<string, FieldValue>();
    for (const [k, v] of form) {
      if (fields.has(k)) throw badRequest("duplicate_field", `The field '${k}' is given twice.`);
      fields.set(k, v);
    }
    return fields;
  }
  if (type === "application/json") {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw badRequest("malformed_json", "The request body is not valid JSON.");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("malformed_json", "The JSON body must be an object.");
    return new Map(Object.entries(body));
  }
  throw new ApiError(415, "unsupported_media_type", "Send multipart/form-data (with files) or application/json (with *_url inputs).");
}

/** Resolves configurations and assets against the client's store and builds the immutable spec. */
async function buildSpec(c: Context<AppEnv>, id: string, kind: TaskgroupSpec["kind"], sub: Submission): Promise<TaskgroupSpec> {
  const client = c.get("client");
  const dev = isDev(c.env);
  const store = clientStore(c.env, client);
  const names = sub.steps.map((s) => s.name);
  const configs = await store.getDocuments("configurations", names);
  const missing = names.find((n) => !configs[n]);
  if (missing) throw new ApiError(404, "configuration_not_found", `Configuration '${missing}' does not exist.`);
  let total = 0;
  const steps: StepSpec[] = [];
  for (const [i, s] of sub.steps.entries()) {
    const { chain, overrides } = applyExtras(names, i, chainOf(configs[s.name] as ConfigurationInput), s.extras);
    validateChain(chain, `${s.name}_extras`);
    for (const link of chain) {
      for (const { param, name } of assetRefs(link.adapter, link.params)) {
        if (!overrides[param] && !(await store.getAsset(name))) {
          throw new ApiError(422, "asset_not_found", `Configuration '${s.name}' uses asset '${name}' (${param}), which does not exist.`);
        }
      }
    }
    let input: StepSpec["input"];
    if (s.data) {
      total += s.data.size;
      if (total > maxUploadBytes(c.env)) throw tooLarge(c.env);
      const fileName = safeFileName(s.data.name, "input");
      const file = { key: r2Keys.input(client, id, s.name, fileName), file_name: fileName, content_type: s.data.type || "application/octet-stream", size: s.data.size };
      input = { kind: "data", file };
    } else if (s.url) input = { kind: "url", url: checkOutboundUrl(s.url, `${s.name}_url`, dev) };
    else input = { kind: "input", from: s.input! };
    steps.push({ name: s.name, chain, input, overrides });
  }
  return {
    id,
    client,
    kind,
    steps,
    webhookUrl: sub.webhookUrl === undefined ? undefined : checkOutboundUrl(sub.webhookUrl, "webhook_url", dev),
    callbacks: sub.callbacks === undefined ? [] : readCallbacks(sub.callbacks, dev),
    contentId: sub.contentId,
    customData: sub.customData,
    workflow: sub.workflow,
    origin: new URL(c.req.url).origin,
  };
}

/** What makes two submissions "the same" for Idempotency-Key: fields, and files by name, type and size. */
async function fingerprint(fields: Map<string, FieldValue>): Promise<string> {
  const norm = [...fields].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v instanceof File ? { file: v.name, type: v.type, size: v.size } : v]);
  return sha256Hex(JSON.stringify(norm));
}

async function trigger(c: Context<AppEnv>, kind: TaskgroupSpec["kind"]) {
  // Counted before the body is read, so a client that floods cannot make us parse uploads.
  const limit = await clientStore(c.env, c.get("client")).takeTriggerToken(Number(c.env.RATE_LIMIT_PER_MINUTE));
  if (!limit.allowed) {
    throw new ApiError(429, "rate_limited", `More than ${c.env.RATE_LIMIT_PER_MINUTE} submissions in a minute; try again in ${limit.retryAfterS} s.`, undefined, {
      "Retry-After": String(limit.retryAfterS),
    });
  }
  const raw = await readFields(c);
  const fields = kind === "task" ? taskToGroupFields(raw) : raw;
  const sub = readSubmission(fields);
  const client = c.get("client");
  const store = clientStore(c.env, client);
  let id = crypto.randomUUID();
  const statusUrl = (taskId: string) => `${new URL(c.req.url).origin}/api/${kind}/${taskId}`;
  const accepted = (taskId: string) => c.json({ task_id: taskId, status: "Queued" as const, status_url: statusUrl(taskId) }, 202);
  // Everything is validated before the key is reserved: a refused request holds no key.
  let spec = await buildSpec(c, id, kind, sub);

  const idemKey = c.req.header("idempotency-key");
  if (idemKey !== undefined) {
    if (!idemKey || idemKey.length > 255) throw badRequest("invalid_idempotency_key", "Idempotency-Key must be 1-255 characters.");
    const prior = await store.reserveIdempotencyKey(`${kind}:${idemKey}`, await fingerprint(fields), id);
    if (prior.conflict) throw new ApiError(409, "idempotency_conflict", "This Idempotency-Key was used with a different request body.");
    if (prior.taskId !== id) {
      if ((await taskGroup(c.env, client, prior.taskId).status()) !== null) return accepted(prior.taskId);
      // The first request stopped before its taskgroup was stored: this identical one finishes it.
      id = prior.taskId;
      spec = await buildSpec(c, id, kind, sub);
    }
  }
  try {
    for (const [i, s] of sub.steps.entries()) {
      const input = spec.steps[i]!.input;
      if (s.data && input.kind === "data") {
        fault("r2:put_input", client);
        await c.env.FILES.put(input.file.key, s.data, { httpMetadata: { contentType: input.file.content_type } });
      }
    }
    // Creating is idempotent: a repeat after a reset finds the group stored and only finishes starting it.
    await withRetries(() => {
      fault("rpc:create", client);
      return taskGroup(c.env, client, id).create(spec);
    }, 2);
  } catch (err) {
    console.error(JSON.stringify({ msg: "taskgroup not created", task_id: id, error: String(err) }));
    const hint = idemKey ? "repeat it with the same Idempotency-Key to finish it" : "send it again (with an Idempotency-Key, a repeat never starts it twice)";
    throw new ApiError(503, "temporarily_unavailable", `The submission could not be stored just now; ${hint}.`, undefined, { "Retry-After": "1" });
  }
  return accepted(id);
}

// The body is read by hand (not by a route validator) so an oversized upload is refused before it is parsed.
const description =
  "multipart/form-data or application/json. Fields: configuration_names (JSON array; a task takes configuration_name), " +
  "{cfg}_data (file), {cfg}_url, {cfg}_input (an earlier configuration), {cfg}_extras (JSON object), webhook_url, " +
  "content_id, custom_data, workflow. A task takes data, data_url and extras. Header Idempotency-Key: a repeat returns the first answer.";

const responses = {
  202: { description: "Queued", content: { "application/json": { schema: acceptedSchema } } },
  ...errorResponses,
  409: errorResponses[400],
  413: errorResponses[400],
  429: errorResponses[400],
  415: errorResponses[400],
  422: errorResponses[400],
  503: errorResponses[400],
};

export const triggers = router();
for (const kind of ["taskgroup", "task"] as const) {
  for (const path of [`/api/${kind}/`, `/api/${kind}`]) {
    triggers.openapi(
      createRoute({ method: "post", path, tags: [kind], description, responses }),
      (c) => trigger(c, kind) as never,
    );
  }
}
