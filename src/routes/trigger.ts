import { configurationDocs } from "../durable/client-documents";
import { linkSignature, linkTtlS } from "../lib/signed-links";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { validateChain, chainOf } from "../schemas/configuration";
import {
  applyExtras,
  readSubmission,
  taskToTaskgroupFields,
  type FieldValue,
  type Submission,
} from "../schemas/submission";
import { filesOf, r2Keys } from "../lib/files";
import { checkOutboundUrl } from "../lib/outbound-url";
import { jsonDepth, MAX_JSON_DEPTH } from "../lib/json-limits";
import { safeFileName } from "../lib/file-names";
import { configOf } from "../lib/config";
import { sha256Hex } from "../lib/crypto";
import { ApiError, badRequest } from "../lib/errors";
import { clientStore, taskgroupStub } from "../lib/stubs";
import { fault } from "../lib/faults";
import { withRetries } from "../lib/retry";
import { checkDeclaredLength, mediaType, readStreamedForm, StoredFile } from "../lib/uploads";
import { errorResponses } from "../schemas/common";
import { isDev } from "../lib/environment";
import { router, type AppEnv } from "./app-env";
import { assetRefs } from "../adapters/catalog";
import { readCallbacks } from "../schemas/callbacks";
import { uploadedFile } from "./uploads";
import { MAX_SPEC_BYTES, specBytes } from "../durable/spec-size";
import { isKnownField, MAX_FORM_FIELDS, MAX_FORM_TEXT_BYTES } from "../schemas/form-fields";
import type { StepSpec, TaskgroupLinks, TaskgroupSpec } from "../engine/types";

const acceptedSchema = z
  .object({ task_id: z.uuid(), status: z.literal("Queued"), status_url: z.url() })
  .openapi("Accepted");

/**
 * Both body kinds become one map of fields; JSON values keep their types. Multipart files go to R2
 * as they arrive, under the taskgroup's id, and are StoredFiles here.
 */
async function readFields(
  c: Context<AppEnv>,
  kind: TaskgroupSpec["kind"],
  id: string,
): Promise<Map<string, FieldValue>> {
  const type = mediaType(c.req.raw);
  if (type === "multipart/form-data") {
    const client = c.get("client");
    const keyFor = (field: string, fileName: string) => {
      fault("r2:put_input", client);
      return r2Keys.input(client, id, field, safeFileName(fileName, "input"));
    };
    return readStreamedForm(c.req.raw, c.env, filesOf(c.env, client), keyFor, {
      maxFields: MAX_FORM_FIELDS,
      maxTextBytes: MAX_FORM_TEXT_BYTES,
      known: (name, fields) => isKnownField(kind, name, fields.get("configuration_names")),
    });
  }
  checkDeclaredLength(c.req.raw, c.env);
  if (type === "application/json") {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw badRequest("malformed_json", "The request body is not valid JSON.");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw badRequest("malformed_json", "The JSON body must be an object.");
    if (jsonDepth(body) > MAX_JSON_DEPTH)
      throw badRequest("json_too_deep", `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`);
    return new Map(Object.entries(body));
  }
  throw new ApiError(
    415,
    "unsupported_media_type",
    "Send multipart/form-data (with files) or application/json (with *_url inputs).",
  );
}

/** The group's link signature, under the client's current webhook secret (src/lib/signed-links.ts). */
async function taskgroupLinks(c: Context<AppEnv>, client: string, id: string): Promise<TaskgroupLinks> {
  const expires = Math.floor(Date.now() / 1000) + linkTtlS(c.env);
  const { current } = await clientStore(c.env, client).signingSecrets();
  return { expires, signature: await linkSignature(c.env.SECRETS_KEY, current, client, id, expires) };
}

/** Resolves configurations and assets against the client's store and builds the immutable spec. */
async function buildSpec(
  c: Context<AppEnv>,
  id: string,
  kind: TaskgroupSpec["kind"],
  sub: Submission,
): Promise<TaskgroupSpec> {
  const client = c.get("client");
  const dev = isDev(c.env);
  const store = clientStore(c.env, client);
  const names = sub.steps.map((s) => s.name);
  const configs = await configurationDocs(c.env, client).getMany(names);
  const missing = names.find((n) => !configs[n]);
  if (missing) throw new ApiError(404, "configuration_not_found", `Configuration '${missing}' does not exist.`);
  const steps: StepSpec[] = [];
  for (const [i, s] of sub.steps.entries()) {
    const { chain, overrides } = applyExtras(names, i, chainOf(configs[s.name]!), s.extras);
    validateChain(chain, `${s.name}_extras`);
    for (const link of chain) {
      for (const { param, name } of assetRefs(link.adapter, link.params)) {
        if (!overrides[param] && !(await store.getAsset(name))) {
          throw new ApiError(
            422,
            "asset_not_found",
            `Configuration '${s.name}' uses asset '${name}' (${param}), which does not exist.`,
          );
        }
      }
    }
    let input: StepSpec["input"];
    if (s.data) {
      input = {
        kind: "data",
        file: {
          key: s.data.key,
          file_name: safeFileName(s.data.name, "input"),
          content_type: s.data.type || "application/octet-stream",
          size: s.data.size,
        },
      };
    } else if (s.url)
      input = { kind: "url", url: checkOutboundUrl(s.url, `${s.name}_url`, dev), ...(dev ? { local: true } : {}) };
    else if (s.upload) input = { kind: "data", file: await uploadedFile(c, s.upload, `${s.name}_upload`) };
    else input = { kind: "input", from: s.input! };
    steps.push({ name: s.name, taskId: crypto.randomUUID(), chain, input, overrides });
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
    links: await taskgroupLinks(c, client, id),
  };
}

/** What makes two submissions "the same" for Idempotency-Key: fields, and files by name, type and size. */
async function fingerprint(fields: Map<string, FieldValue>): Promise<string> {
  const norm = [...fields]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, v instanceof StoredFile ? { file: v.name, type: v.type, size: v.size } : v]);
  return sha256Hex(JSON.stringify(norm));
}

async function trigger(c: Context<AppEnv>, kind: TaskgroupSpec["kind"]) {
  // Counted before the body is read, so a client that floods cannot make us parse uploads.
  const { triggersPerMinute } = configOf(c.env);
  const limit = await clientStore(c.env, c.get("client")).takeTriggerToken(triggersPerMinute);
  if (!limit.allowed) {
    throw new ApiError(
      429,
      "rate_limited",
      `More than ${triggersPerMinute} submissions in a minute; try again in ${limit.retryAfterS} s.`,
      undefined,
      {
        "Retry-After": String(limit.retryAfterS),
      },
    );
  }
  const client = c.get("client");
  const id = crypto.randomUUID();
  const raw = await readFields(c, kind, id);
  try {
    return await accept(c, kind, client, id, kind === "task" ? taskToTaskgroupFields(raw) : raw);
  } catch (err) {
    // A refused request started nothing: the files it stored go with it. (A 503 has cleaned up in
    // forgetUnstarted when the group surely does not exist; otherwise it may, and retention removes them.)
    const stored = storedKeys(raw);
    if (stored.length && !(err instanceof ApiError && err.status === 503))
      await filesOf(c.env, client)
        .delete(stored)
        .catch(() => undefined);
    throw err;
  }
}

const storedKeys = (fields: Map<string, FieldValue>) =>
  [...fields.values()].filter((v): v is StoredFile => v instanceof StoredFile).map((f) => f.key);

/**
 * After a creation that failed: when the group is surely not stored (its object answers and holds
 * nothing), this request's files and its Idempotency-Key binding go, so a repeat starts clean and
 * nothing is left that retention would never find. When in doubt (no answer), both stay: the group
 * may exist, and a repeat with the key finishes it.
 */
async function forgetUnstarted(
  c: Context<AppEnv>,
  client: string,
  id: string,
  fields: Map<string, FieldValue>,
  idemKey: string | undefined,
): Promise<void> {
  try {
    if ((await taskgroupStub(c.env, client, id).status()) !== null) return;
    if (idemKey !== undefined) await clientStore(c.env, client).releaseIdempotencyKey(idemKey, id);
    await filesOf(c.env, client).delete(storedKeys(fields));
  } catch (err) {
    console.error(JSON.stringify({ msg: "failed submission not cleaned up", task_id: id, error: String(err) }));
  }
}

async function accept(
  c: Context<AppEnv>,
  kind: TaskgroupSpec["kind"],
  client: string,
  firstId: string,
  fields: Map<string, FieldValue>,
) {
  const sub = readSubmission(fields);
  const store = clientStore(c.env, client);
  const statusUrl = (taskId: string) => `${new URL(c.req.url).origin}/api/${kind}/${taskId}`;
  const accepted = (taskId: string) =>
    c.json({ task_id: taskId, status: "Queued" as const, status_url: statusUrl(taskId) }, 202);
  let id = firstId;
  // Everything is validated before the key is reserved: a refused request holds no key.
  let spec = await buildSpec(c, id, kind, sub);
  const bytes = specBytes(spec);
  if (bytes > MAX_SPEC_BYTES)
    throw new ApiError(
      413,
      "spec_too_large",
      `The taskgroup's configurations, params and extras take ${bytes} bytes stored; at most ${MAX_SPEC_BYTES} fit.`,
      { size_bytes: bytes, limit_bytes: MAX_SPEC_BYTES },
    );

  const idemKey = c.req.header("idempotency-key");
  if (idemKey !== undefined) {
    if (!idemKey || idemKey.length > 255)
      throw badRequest("invalid_idempotency_key", "Idempotency-Key must be 1-255 characters.");
    const prior = await store.reserveIdempotencyKey(`${kind}:${idemKey}`, await fingerprint(fields), id);
    if (prior.conflict)
      throw new ApiError(409, "idempotency_conflict", "This Idempotency-Key was used with a different request body.");
    if (prior.taskId !== id) {
      if ((await taskgroupStub(c.env, client, prior.taskId).status()) !== null) {
        const repeated = storedKeys(fields);
        await filesOf(c.env, client).delete(repeated);
        return accepted(prior.taskId);
      }
      // The first request stopped before its taskgroup was stored: this identical one finishes it
      // (with this request's files, which retention deletes by their keys).
      id = prior.taskId;
      spec = await buildSpec(c, id, kind, sub);
    }
  }
  try {
    // Creating is idempotent: a repeat after a reset finds the group stored and only finishes starting it.
    await withRetries(() => {
      fault("rpc:create", client);
      return taskgroupStub(c.env, client, id).create(spec);
    }, 2);
  } catch (err) {
    console.error(JSON.stringify({ msg: "taskgroup not created", task_id: id, error: String(err) }));
    await forgetUnstarted(c, client, id, fields, idemKey === undefined ? undefined : `${kind}:${idemKey}`);
    const hint = idemKey
      ? "repeat it with the same Idempotency-Key to finish it"
      : "send it again (with an Idempotency-Key, a repeat never starts it twice)";
    throw new ApiError(
      503,
      "temporarily_unavailable",
      `The submission could not be stored just now; ${hint}.`,
      undefined,
      { "Retry-After": "1" },
    );
  }
  return accepted(id);
}

// The body is read by hand (not by a route validator) so an oversized upload is refused before it is parsed.
const description =
  "multipart/form-data or application/json. Fields: configuration_names (JSON array; a task takes configuration_name), " +
  "{cfg}_data (file), {cfg}_url, {cfg}_upload (a finished /api/uploads id), {cfg}_input (an earlier configuration), {cfg}_extras (JSON object), webhook_url, " +
  "content_id, custom_data, workflow. A task takes data, data_url, upload and extras. Header Idempotency-Key: a repeat returns the first answer.";

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
