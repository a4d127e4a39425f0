import { adapterSpec } from "../adapters/catalog";
import { applyTemplate } from "../lib/body-template";
import { isMailto } from "../schemas/callbacks";
import { auroraBody, emailSummary, render, type TaskgroupSnapshot } from "./render";
import type { CallbackSpec, NewDelivery, TaskgroupEvent } from "../engine/types";
import { vccPayload } from "./results";
import { DEFAULT_RETRY_SCHEDULE, NOTIFY_SCHEDULE } from "./schedule";

function wants(cb: CallbackSpec, event: TaskgroupEvent, snap: TaskgroupSnapshot): boolean {
  if (event.type !== "job.ended")
    return cb.onProgress === "ends" ? event.type === "task.succeeded" || event.type === "task.failed" : cb.onProgress;
  return snap.status === "Succeeded" ? cb.onSuccess : cb.onFailure;
}

function withQuery(url: string, query: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

/** The deliveries one event causes: each matching callback, and the `webhook_url` at the end. */
export function planDeliveries(event: TaskgroupEvent, snap: TaskgroupSnapshot): NewDelivery[] {
  const out: NewDelivery[] = [];
  snap.spec.callbacks.forEach((cb, i) => {
    if (!wants(cb, event, snap)) return;
    const base = { channel: `callback:${i}`, event: event.type, schedule: cb.schedule ?? DEFAULT_RETRY_SCHEDULE };
    if (isMailto(cb.url)) {
      out.push({
        ...base,
        kind: "email",
        url: cb.url,
        method: "POST",
        headers: [],
        body: JSON.stringify(emailSummary(event, snap)),
      });
      return;
    }
    const r = render(cb.format, event, snap, cb.url);
    const get = cb.method === "GET";
    const body =
      cb.template === undefined
        ? r.body
        : JSON.stringify(applyTemplate(cb.template, { event: event.type, ...JSON.parse(r.body) }));
    out.push({
      ...base,
      kind: "callback",
      url: get ? withQuery(cb.url, r.query) : cb.url,
      method: cb.method,
      headers: cb.headers,
      body: get ? "" : body,
    });
  });
  if (event.type === "job.ended" && snap.spec.webhookUrl) {
    out.push({
      channel: "webhook_url",
      kind: "webhook_url",
      event: event.type,
      url: snap.spec.webhookUrl,
      method: "POST",
      headers: [],
      body: JSON.stringify(vccPayload(snap.status, snap.id, snap.steps)),
      schedule: DEFAULT_RETRY_SCHEDULE,
    });
  }
  return out;
}

/**
 * Storage targets the group's steps uploaded to, tried to, or would have uploaded to had the group
 * not ended first (AuroraCloud's receivers wait for a notify either way), by name.
 */
export function uploadTargets(snap: TaskgroupSnapshot): Map<string, number[]> {
  const targets = new Map<string, number[]>();
  snap.spec.steps.forEach((step, i) => {
    const state = snap.steps[i]!.state;
    if (state !== "succeeded" && state !== "failed" && state !== "skipped") return;
    for (const link of step.chain) {
      const param = adapterSpec(link.adapter)?.declares?.uploadsTo;
      const name = param ? link.params[param] : undefined;
      if (typeof name === "string") targets.set(name, [...(targets.get(name) ?? []), i]);
    }
  });
  return targets;
}

/** The AuroraCloud notify a storage target's `notify` URL gets once the group ends. */
export function notifyDelivery(
  snap: TaskgroupSnapshot,
  target: string,
  notify: string,
  steps: number[],
  schedule?: number[],
): NewDelivery {
  return {
    channel: `notify:${target}`,
    kind: "notify",
    event: "job.ended",
    url: notify,
    method: "POST",
    headers: [],
    body: JSON.stringify(auroraBody(snap, notify, (_s, i) => steps.includes(i))),
    schedule: schedule ?? NOTIFY_SCHEDULE,
  };
}
