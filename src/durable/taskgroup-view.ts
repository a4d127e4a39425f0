import { segmentsOf } from "../adapters/catalog";
import { outputUrl, type TaskgroupSnapshot } from "../delivery/render";
import type { DeliveryLog } from "./delivery-log";
import { vccPayload } from "../delivery/results";
import { parse } from "./sql";
import type { MachineStep } from "./taskgroup-machine";
import {
  isTerminal,
  type ClaimedStep,
  type StepFile,
  type StepState,
  type TaskgroupSpec,
  type TaskgroupStatus,
} from "../engine/types";

/** The Taskgroup object's rows, as its SQLite tables hold them. */
export interface InfoRow extends Record<string, SqlStorageValue> {
  id: string;
  client: string;
  kind: string;
  status: TaskgroupStatus;
  spec: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  retention_at: number | null;
  files_deleted_at: string | null;
}

export interface StepRow extends Record<string, SqlStorageValue> {
  idx: number;
  name: string;
  state: StepState;
  attempts: number;
  token: string | null;
  deadline: number | null;
  progress: number | null;
  results: string | null;
  error: string | null;
  output: string | null;
  started_at: string | null;
  ended_at: string | null;
  seg: number;
  segs: number;
  seg_attempts: number;
  run: number;
  holder: string | null;
  holder_try: number | null;
  seg_input: string | null;
  first_started_ms: number | null;
  failure: string | null;
}

/** A step row as the state machine reads it. */
export function machineStep(r: StepRow): MachineStep {
  return {
    idx: r.idx,
    state: r.state,
    attempts: r.attempts,
    seg_attempts: r.seg_attempts,
    seg: r.seg,
    segs: r.segs,
    token: r.token,
    run: r.run,
    holder: r.holder,
    holder_try: r.holder_try,
    deadline: r.deadline,
    progress: r.progress,
    results: parse<unknown[] | null>(r.results),
    started_at: r.started_at,
    ended_at: r.ended_at,
  };
}

/** The group as callbacks see it at one moment. */
export function snapshotOf(info: InfoRow, steps: StepRow[]): TaskgroupSnapshot {
  const spec = parse<TaskgroupSpec>(info.spec);
  return {
    id: info.id,
    status: info.status,
    spec,
    created_at: info.created_at,
    started_at: info.started_at,
    ended_at: info.ended_at,
    steps: steps.map((s, i) => ({
      name: s.name,
      // Taskgroups stored before steps had ids use the taskgroup's, as they always did.
      task_id: spec.steps[i]?.taskId ?? info.id,
      state: s.state,
      attempts: s.attempts,
      results: parse<unknown>(s.results),
      error: s.error,
      output: parse<StepFile | null>(s.output),
      started_at: s.started_at,
      ended_at: s.ended_at,
    })),
  };
}

/** The document of `GET /api/taskgroup/{id}` (schema: src/schemas/taskgroup.ts). */
export function viewOf(info: InfoRow, steps: StepRow[], deliveries: ReturnType<DeliveryLog["list"]>) {
  const snap = snapshotOf(info, steps);
  return {
    task_id: snap.id,
    kind: snap.spec.kind,
    status: snap.status,
    created_at: snap.created_at,
    started_at: snap.started_at,
    ended_at: snap.ended_at,
    files_expire_at: info.retention_at ? new Date(info.retention_at).toISOString() : null,
    files_deleted_at: info.files_deleted_at,
    content_id: snap.spec.contentId ?? null,
    workflow: snap.spec.workflow ?? null,
    custom_data: (snap.spec.customData ?? null) as string | number | boolean | object | null,
    steps: snap.steps.map((s, i) => ({
      configuration: s.name,
      task_id: s.task_id,
      state: s.state as StepState,
      attempts: s.attempts,
      progress: steps[i]!.progress,
      started_at: s.started_at,
      ended_at: s.ended_at,
      result: (s.results ?? null) as object | null,
      error: s.error,
      output: s.output && {
        file_name: s.output.file_name,
        content_type: s.output.content_type,
        size: s.output.size,
        url: outputUrl(snap, s)!,
      },
    })),
    results: isTerminal(snap.status) ? vccPayload(snap.status, snap.id, snap.steps).results : null,
    deliveries,
  };
}

/** What the invocation that claimed step `idx` (run `run`) needs: its links, input and override files, links. */
export function claimedOf(info: InfoRow, steps: StepRow[], idx: number, run: number): ClaimedStep {
  const group = parse<TaskgroupSpec>(info.spec);
  const row = steps[idx]!;
  const spec = group.steps[idx]!;
  const seg = segmentsOf(spec.chain)[row.seg]!;
  const outputOf = (name: string): StepFile =>
    parse<StepFile>(steps.find((s) => s.name === name && s.state === "succeeded")?.output ?? null);
  const overrideFiles = Object.fromEntries(
    Object.entries(spec.overrides).map(([param, from]) => [param, outputOf(from)]),
  );
  const inputFile =
    row.seg > 0
      ? parse<StepFile>(row.seg_input)
      : spec.input.kind === "data"
        ? spec.input.file
        : spec.input.kind === "input"
          ? outputOf(spec.input.from)
          : undefined;
  return {
    spec,
    origin: group.origin,
    outputLinks: group.links,
    run,
    links: spec.chain.slice(seg.from, seg.to),
    inputFile,
    overrideFiles,
    startedMs: row.first_started_ms ?? Date.now(),
  };
}
