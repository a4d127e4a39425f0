import type { StepFile } from "../adapters/types";
import type { CallbackSpec } from "../schemas/callbacks";
import type { ChainLink } from "../schemas/configuration";
import type { TaskgroupLinks } from "../lib/signed-links";

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
  /** The signature of the group's output links (absent in groups stored before links were signed). */
  links?: TaskgroupLinks;
}

export type StepInput =
  | { kind: "data"; file: StepFile }
  /** `local`: submitted in local development, where redirects may lead to http on this machine. */
  | { kind: "url"; url: string; local?: boolean }
  | { kind: "input"; from: string };

export interface StepSpec {
  name: string;
  /** The step's own id, for formats with a task id: the same across retries, distinct between steps. Absent in older specs. */
  taskId?: string;
  chain: ChainLink[];
  input: StepInput;
  /** Asset param → the earlier configuration whose output replaces it (`{param}_override`). */
  overrides: Record<string, string>;
}

export type { TaskgroupStatus } from "../schemas/status";
export type StepState = "queued" | "running" | "succeeded" | "failed" | "skipped";

/** A claimed run of one segment of a step, as the queue consumer needs it. */
export interface ClaimedStep {
  spec: StepSpec;
  /** Origin of the API, for download URLs in results. */
  origin: string;
  /** The group's output link signature, so results carry links that open without a key. */
  outputLinks?: TaskgroupLinks;
  /** The run number: it fences this run's progress and result reports. */
  run: number;
  /** The links of the chain this run executes (one segment: the links this Worker runs). */
  links: ChainLink[];
  /** The input when it is a file already in R2 (`_data`, an earlier step's output, or the previous segment's). */
  inputFile?: StepFile;
  /** Asset param → the earlier step output that overrides it. */
  overrideFiles: Record<string, StepFile>;
  /** When the step first started (epoch ms): its `{timestamp}`, so a re-run writes the same keys. */
  startedMs: number;
}

export type { FailureReason, StepOutcome } from "./taskgroup-machine";

export interface StepMessage {
  client: string;
  taskgroupId: string;
  step: number;
  token: string;
}

/** The queue message a consumer is handling: its id and how many times it has been delivered. */
export interface QueueDelivery {
  messageId: string;
  delivery: number;
}
