import type { StepFile } from "../adapters/types";
import type { CallbackSpec } from "../schemas/callbacks";
import type { ChainLink } from "../schemas/configuration";

export type { ChainLink };

/** What a submission asked for, fixed at trigger time so later edits to configurations change nothing. */
export interface TaskgroupSpec {
  id: string;
  client: string;
  kind: "task" | "taskgroup";
  steps: StepSpec[];
  webhookUrl?: string;
  callbacks: CallbackSpec[];
  contentId?: string;
  customData?: unknown;
  workflow?: string;
  /** Origin of the API, for download URLs in results. */
  origin: string;
}


export type StepInput =
  | { kind: "data"; file: StepFile }
  | { kind: "url"; url: string }
  | { kind: "input"; from: string };

export interface StepSpec {
  name: string;
  chain: ChainLink[];
  input: StepInput;
  /** Asset param → the earlier configuration whose output replaces it (`{param}_override`). */
  overrides: Record<string, string>;
}

export type GroupStatus = "Queued" | "Running" | "Succeeded" | "Failed" | "Cancelled";
export type StepState = "queued" | "running" | "succeeded" | "failed" | "skipped";
export type DeliveryState = "pending" | "succeeded" | "dead";

/** A step as the queue consumer needs it to run. */
export interface ClaimedStep {
  spec: StepSpec;
  /** Origin of the API, for download URLs in results. */
  origin: string;
  attempt: number;
  /** The resolved input when it is a file already in R2 (`_data`, or an earlier step's output). */
  inputFile?: StepFile;
  /** Asset param → the earlier step output that overrides it. */
  overrideFiles: Record<string, StepFile>;
}

export type StepOutcome =
  | { ok: true; results: Record<string, unknown>[]; output: StepFile }
  | { ok: false; message: string; retryable: boolean };

export interface StepMessage {
  client: string;
  taskgroupId: string;
  step: number;
  token: string;
}

export interface DeliveryMessage {
  client: string;
  taskgroupId: string;
  deliveryId: string;
}

/** One HTTP request to make, as the delivery consumer needs it. */
export interface PendingDelivery {
  id: string;
  /** Order of this message among the taskgroup's deliveries; sent as the `cascade-sequence` header. */
  seq: number;
  url: string;
  method: "POST" | "PUT" | "GET";
  /** Name/value pairs (arrays, as RPC carries them). */
  headers: string[][];
  body: string;
  attempt: number;
}

export interface AttemptRecord {
  /** A 2xx answer, or an email handed to the send_email binding. */
  ok: boolean;
  at: string;
  status: number | null;
  latency_ms: number;
  response: string;
  error: string | null;
  retry_after_s: number | null;
}

/** Default delivery schedule from API.md: the delay before each retry, in seconds. */
export const DEFAULT_RETRY_SCHEDULE = [5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200];

/** R2 key layout: everything of a client lives under its own prefix. */
export const r2Keys = {
  asset: (client: string, name: string) => `clients/${client}/assets/${name}`,
  input: (client: string, id: string, step: string, fileName: string) =>
    `clients/${client}/taskgroups/${id}/inputs/${step}/${fileName}`,
  output: (client: string, id: string, step: string, fileName: string) =>
    `clients/${client}/taskgroups/${id}/outputs/${step}/${fileName}`,
};
