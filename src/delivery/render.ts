import { escapeHtml } from "../lib/html";
import { declaredResult } from "../adapters/catalog";
import { inputLink, outputLink } from "../lib/signed-links";
import { vccPayload } from "./results";
import type {
  CallbackFormat,
  StepFile,
  StepInput,
  TaskgroupEvent,
  TaskgroupSpec,
  TaskgroupStatus,
} from "../engine/types";

/** What happened, as callbacks see it. */
export interface StepSnapshot {
  name: string;
  task_id: string;
  state: string;
  attempts: number;
  results: unknown;
  error: string | null;
  output: StepFile | null;
  started_at: string | null;
  ended_at: string | null;
}

/** The taskgroup at the moment of an event: every renderer reads only this. */
export interface TaskgroupSnapshot {
  id: string;
  status: TaskgroupStatus;
  spec: TaskgroupSpec;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  steps: StepSnapshot[];
}

export interface Rendered {
  body: string;
  /** Sent as query parameters instead of a body when the callback's method is GET. */
  query: Record<string, string>;
}

const seconds = (from: string | null, to: string | null) =>
  from && to ? Math.round((Date.parse(to) - Date.parse(from)) / 10) / 100 : null;

/** The download URL of a step's output: a signed link that needs no key (see src/lib/signed-links.ts). */
export const outputUrl = (snap: TaskgroupSnapshot, s: StepSnapshot) =>
  s.output
    ? outputLink(snap.spec.origin, snap.spec.client, snap.id, snap.spec.links, s.name, s.output.file_name)
    : null;

/**
 * A URI for a step's input, as LightFlow's `inputUrl` and AuroraCloud's `input` want: the URL it was
 * fetched from, a signed link to the file that was sent (submitted, uploaded or an asset), or the
 * link to the earlier step's output it was fed. Null only when no such link can be made.
 */
export function inputUrl(snap: TaskgroupSnapshot, stepName: string): string | null {
  const input = snap.spec.steps.find((x) => x.name === stepName)?.input;
  if (!input) return null;
  if (input.kind === "url") return input.url;
  if (input.kind === "data")
    return inputLink(snap.spec.origin, snap.spec.client, snap.id, snap.spec.links, stepName, input.file.file_name);
  const from = snap.steps.find((s) => s.name === input.from);
  return from ? outputUrl(snap, from) : null;
}

function describeInput(input: StepInput): string {
  if (input.kind === "url") return input.url;
  if (input.kind === "data") return input.file.file_name;
  return `output of ${input.from}`;
}

const stepChain = (snap: TaskgroupSnapshot, s: StepSnapshot) =>
  snap.spec.steps.find((x) => x.name === s.name)?.chain ?? [];

/** Where a step's result ended up: the URL its last delivering adapter declares (an upload), else its download URL. */
function deliveredUrl(snap: TaskgroupSnapshot, s: StepSnapshot): string | null {
  const url = declaredResult(stepChain(snap, s), s.results, "deliveredUrl");
  return typeof url === "string" ? url : outputUrl(snap, s);
}

const ran = (snap: TaskgroupSnapshot) => snap.steps.filter((s) => s.state === "succeeded" || s.state === "failed");

/** Vualto's `message` is the task's exception message: empty unless the task failed. */
const taskMessage = (event: TaskgroupEvent, s: StepSnapshot): string =>
  event.type === "task.failed" ? (s.error ?? `${s.name} failed`) : "";

/** The media duration (s) the step's first measuring adapter declares: the input's, as the seeds mean it. */
function mediaDuration(snap: TaskgroupSnapshot, s: StepSnapshot): number | null {
  const d = declaredResult(stepChain(snap, s), s.results, "mediaDuration", "first");
  return typeof d === "number" ? d : null;
}

/** Vualto's task engine: task events while it runs, the job body at the end. */
function job(event: TaskgroupEvent, snap: TaskgroupSnapshot): Rendered {
  const { spec } = snap;
  if (event.type === "job.ended") {
    const body = {
      job_id: snap.id,
      task_id: snap.id,
      status: snap.status,
      workflow: spec.workflow ?? null,
      content_id: spec.contentId ?? null,
      custom_data: spec.customData ?? null,
      start_date: snap.started_at ?? snap.created_at,
      end_date: snap.ended_at,
      results: vccPayload(snap.status, snap.id, snap.steps).results,
    };
    return {
      body: JSON.stringify(body),
      query: { status: snap.status, end_date: snap.ended_at ?? "", job_id: snap.id },
    };
  }
  const step = snap.steps[event.step]!;
  const body: Record<string, unknown> = {
    job_id: snap.id,
    task_id: step.task_id,
    task_name: step.name,
    workflow: spec.workflow ?? null,
    event: event.type,
    content_id: spec.contentId ?? null,
    message: taskMessage(event, step),
  };
  if (event.type === "task.progress") body.progress = event.progress;
  return {
    body: JSON.stringify(body),
    query: { job_id: snap.id, task_id: step.task_id, task_name: step.name, event: event.type },
  };
}

/** VCC task groups: `{status, task_id, results}`, the same at every event. */
function vcc(_event: TaskgroupEvent, snap: TaskgroupSnapshot): Rendered {
  return {
    body: JSON.stringify(vccPayload(snap.status, snap.id, snap.steps)),
    query: { status: snap.status, task_id: snap.id },
  };
}

/** LightFlow's lower-case status words: `finished` is the seed's; the others follow it. */
function lightflowStatus(status: TaskgroupStatus): string {
  switch (status) {
    case "Queued":
      return "queued";
    case "Running":
      return "processing";
    case "Succeeded":
      return "finished";
    case "Failed":
      return "failed";
    case "Cancelled":
      return "cancelled";
  }
}

/** LightFlow's `metadata` is an object: custom_data as sent (a JSON object in a form field is parsed), else wrapped. */
function lightflowMetadata(custom: unknown): Record<string, unknown> {
  let value = custom;
  if (typeof custom === "string") {
    try {
      value = JSON.parse(custom);
    } catch {
      /* a plain string: wrapped below */
    }
  }
  if (value === undefined || value === null) return {};
  return typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { custom_data: value };
}

/** LightFlow: one asset-centred body; GET carries `status` and `endDate`. */
function lightflow(_event: TaskgroupEvent, snap: TaskgroupSnapshot): Rendered {
  const last = [...snap.steps].reverse().find((s) => s.state === "succeeded");
  const status = lightflowStatus(snap.status);
  const first = snap.spec.steps[0]!;
  const thumbnail = [...snap.steps].reverse().find((s) => s.output?.content_type.startsWith("image/"));
  const body = {
    uuid: snap.id,
    assetName:
      snap.spec.contentId ?? (first.input.kind === "data" ? first.input.file.file_name : describeInput(first.input)),
    inputUrl: inputUrl(snap, first.name),
    username: snap.spec.client,
    startDate: snap.started_at,
    endDate: snap.ended_at,
    status,
    metadata: lightflowMetadata(snap.spec.customData),
    // The asset's media duration, as the seed means it (null when no step measured one).
    duration: snap.steps.map((s) => mediaDuration(snap, s)).find((d) => d !== null) ?? null,
    assetUrl: last ? deliveredUrl(snap, last) : null,
    thumbnail: thumbnail ? outputUrl(snap, thumbnail) : null,
  };
  return { body: JSON.stringify(body), query: { status, endDate: snap.ended_at ?? "" } };
}

/** AuroraCloud's notify body; `only` narrows `data` to some steps (a storage target's uploads). */
export function auroraBody(
  snap: TaskgroupSnapshot,
  callbackUrl: string,
  only?: (step: StepSnapshot, index: number) => boolean,
) {
  // A storage notify (`only`) also lists its steps that never ran because the group ended first.
  const steps = only
    ? snap.steps.filter((s, i) => s.state !== "queued" && s.state !== "running" && only(s, i))
    : ran(snap);
  const stoppedBy = snap.steps.find((s) => s.state === "failed");
  const failed = steps.some((s) => s.state === "failed") || snap.status === "Failed" || snap.status === "Cancelled";
  return {
    // The seed's code is always 0; the outcome is in `msg` and each entry's `status`.
    code: 0,
    msg: failed ? "failed" : snap.status === "Succeeded" ? "succeeded" : snap.status.toLowerCase(),
    callback_url: callbackUrl,
    data: steps.map((s) => {
      const spec = snap.spec.steps.find((x) => x.name === s.name)!;
      return {
        task_id: s.task_id,
        input: inputUrl(snap, s.name) ?? describeInput(spec.input),
        output: s.state === "succeeded" ? deliveredUrl(snap, s) : null,
        format: s.output ? auroraFormat(s.output.file_name) : null,
        // A step that never ran is a failure to AuroraCloud's receivers, which know no other word.
        status: s.state === "skipped" ? "failed" : s.state,
        duration: mediaDuration(snap, s),
        spend_time: seconds(s.started_at, s.ended_at),
        error_code: s.state === "succeeded" ? 0 : 1,
        error_msg: s.state === "failed" ? (s.error ?? "failed") : s.state === "skipped" ? notRun(snap, stoppedBy) : "",
      };
    }),
  };
}

/** AuroraCloud names formats, not extensions: `mp4`, `hls`, `dash`, `flv`; anything else by its extension. */
export function auroraFormat(fileName: string): string {
  const ext = fileName.split(".").pop()!.toLowerCase();
  const named: Record<string, string> = { m3u8: "hls", mpd: "dash", m4v: "mp4", mov: "mp4" };
  return named[ext] ?? ext;
}

const notRun = (snap: TaskgroupSnapshot, stoppedBy: StepSnapshot | undefined) =>
  stoppedBy
    ? `not run: ${stoppedBy.name} failed first (${stoppedBy.error ?? "failed"})`
    : `not run: the taskgroup was ${snap.status.toLowerCase()}`;

function aurora(_event: TaskgroupEvent, snap: TaskgroupSnapshot, callbackUrl: string): Rendered {
  return { body: JSON.stringify(auroraBody(snap, callbackUrl)), query: { status: snap.status, task_id: snap.id } };
}

/** One renderer per format, chosen here and nowhere else. */
export function render(
  format: CallbackFormat,
  event: TaskgroupEvent,
  snap: TaskgroupSnapshot,
  callbackUrl: string,
): Rendered {
  switch (format) {
    case "job":
      return job(event, snap);
    case "vcc":
      return vcc(event, snap);
    case "lightflow":
      return lightflow(event, snap);
    case "aurora":
      return aurora(event, snap, callbackUrl);
  }
}

/** The plain-text and HTML summary a `mailto:` callback sends. */
export function emailSummary(
  event: TaskgroupEvent,
  snap: TaskgroupSnapshot,
): { subject: string; text: string; html: string } {
  const esc = escapeHtml;
  const headline = event.type === "job.ended" ? snap.status : `${snap.steps[event.step]!.name}: ${event.type}`;
  const lines = snap.steps.map((s) => `${s.name}: ${s.state}${s.error ? ` (${s.error})` : ""}`);
  const url = `${snap.spec.origin}/api/taskgroup/${snap.id}`;
  return {
    subject: `Cascade taskgroup ${snap.id}: ${headline}`,
    text: [`Taskgroup ${snap.id}: ${snap.status}`, "", ...lines, "", url].join("\n"),
    html: `<p>Taskgroup <code>${snap.id}</code>: <strong>${esc(snap.status)}</strong></p><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ul><p><a href="${esc(url)}">${esc(url)}</a></p>`,
  };
}
