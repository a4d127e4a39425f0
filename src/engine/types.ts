/**
 * The engine's vocabulary: what a submission becomes (specs), the states of groups, steps and
 * deliveries, the events callbacks report, how a run ends, why a step failed, and the queue
 * messages between the parts. Every layer speaks it, so it imports nothing (CONTRIBUTING.md, "Layers").
 */

// ---- statuses ----

/** A taskgroup's status: the one list every schema, the engine, the client and the dashboard use. */
export const STATUSES = ["Queued", "Running", "Succeeded", "Failed", "Cancelled"] as const;
export type TaskgroupStatus = (typeof STATUSES)[number];
/** The statuses a taskgroup ends in; nothing changes it after (but a retry of a Failed one). */
export const TERMINAL: readonly TaskgroupStatus[] = ["Succeeded", "Failed", "Cancelled"];
export const isTerminal = (s: TaskgroupStatus) => TERMINAL.includes(s);

export type StepState = "queued" | "running" | "succeeded" | "failed" | "skipped";

// ---- what a submission becomes ----

/** A file in R2: a step's input or output, an asset. */
export interface StepFile {
  key: string;
  file_name: string;
  content_type: string;
  size: number;
}

/** One adapter of a configuration, with its params. */
export interface ChainLink {
  adapter: string;
  params: Record<string, unknown>;
}

export const CALLBACK_FORMATS = ["job", "vcc", "lightflow", "aurora"] as const;
export type CallbackFormat = (typeof CALLBACK_FORMATS)[number];

/** A callback after validation, with one spelling of each flag. */
export interface CallbackSpec {
  url: string;
  method: "POST" | "PUT" | "GET";
  headers: [string, string][];
  onSuccess: boolean;
  onFailure: boolean;
  /** Task events: every one (`on_progress`), only a task's end (LightFlow's `onProgressEncoding`), or none. */
  onProgress: boolean | "ends";
  format: CallbackFormat;
  /** Delay before each retry, seconds. */
  schedule?: number[];
  /** Sent instead of the format's body, filled from it (`body_template`). */
  template?: unknown;
}

/** A storage target with its secrets in the clear: exists only in memory, never stored or answered. */
export interface StorageTarget {
  name: string;
  type: "s3" | "oss";
  region: string;
  endpoint?: string;
  addressing?: "path" | "virtual";
  bucket: string;
  prefix: string;
  access_key_id: string;
  secret_access_key: string;
  /** Told when a taskgroup that wrote to the target ends (AuroraCloud's notify). */
  notify?: string;
  notify_retry?: { attempts: number; interval_s: number };
}

/** The signature of a group's signed links (src/lib/signed-links.ts). */
export interface TaskgroupLinks {
  expires: number;
  signature: string;
}

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

// ---- how a run ends, and why a step failed ----

/** Where a video step runs: ffmpeg.wasm in the media Worker, or native ffmpeg (a container, README "Video"). */
export type VideoRuntime = "wasm" | "native";

/** Why a step's run failed, as data: described for users in one switch (src/lib/failures.ts). */
export type Failure =
  | { kind: "storage_rejected"; fileName: string; bucket: string; key: string; detail: string }
  | { kind: "storage_unavailable"; fileName: string; bucket: string; key: string; detail: string }
  | { kind: "storage_target_missing"; name: string }
  | { kind: "storage_target_invalid"; name: string; detail: string }
  | { kind: "asset_missing"; param: string; name: string }
  | { kind: "input_missing"; fileName: string }
  | { kind: "input_fetch_failed"; url: string; detail: string; retryable: boolean }
  | { kind: "input_too_large"; limitMb: number }
  | { kind: "image_unsupported"; fileName: string }
  | { kind: "image_undecodable"; fileName: string; detail: string }
  | { kind: "image_too_large"; fileName: string; width: number; height: number; limit: number }
  | { kind: "image_file_too_large"; fileName: string; sizeMb: number; limitMb: number }
  | { kind: "template_key_missing"; key: string }
  | { kind: "video_unsupported"; fileName: string; detail: string }
  | { kind: "video_too_large"; fileName: string; sizeMb: number; limitMb: number; runtime: VideoRuntime }
  | { kind: "video_too_long"; fileName: string; seconds: number; limitSeconds: number; runtime: VideoRuntime }
  | {
      kind: "video_frame_too_large";
      fileName: string;
      width: number;
      height: number;
      limit: string;
      runtime: VideoRuntime;
    }
  | { kind: "renditions_too_large"; sizes: string; limit: string; runtime: VideoRuntime }
  | { kind: "ffmpeg_failed"; detail: string }
  | { kind: "native_unavailable" }
  | { kind: "native_unreachable"; detail: string }
  | { kind: "native_transfer_failed"; detail: string; retryable: boolean }
  | { kind: "native_failed"; detail: string }
  | { kind: "timed_out"; seconds: number }
  | { kind: "dead_lettered" }
  | { kind: "internal"; reference: string };

/** Why a step failed, for counting (the System page): a step failure's kind, or the engine's own. */
export type FailureReason = Failure["kind"] | "out_of_attempts" | "worker_stopped";

export type StepOutcome =
  | { ok: true; results: Record<string, unknown>[]; output: StepFile }
  | { ok: false; message: string; retryable: boolean; reason: FailureReason };

// ---- events callbacks report ----

export type TaskgroupEvent =
  | { type: "task.started" | "task.succeeded" | "task.failed"; step: number }
  | { type: "task.progress"; step: number; progress: number }
  | { type: "job.ended" };

// ---- deliveries ----

export type DeliveryState = "pending" | "succeeded" | "dead";

/** A delivery to record: what an event or a notify makes (src/delivery/plan.ts). */
export interface NewDelivery {
  /** Deliveries of one channel (one callback, the webhook_url, one storage notify) go out one at a time, in order. */
  channel: string;
  kind: "webhook_url" | "callback" | "notify" | "email";
  event: string;
  url: string;
  method: "POST" | "PUT" | "GET";
  headers: [string, string][];
  body: string;
  /** Delay before each retry, seconds; its length bounds the retries. */
  schedule: number[];
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

/** A client's webhook signing secrets: the current one, and the rotated-out one during its overlap. */
export interface SigningSecrets {
  current: string;
  /** Still valid for `previousUntil`; both sign during the overlap. */
  previous?: string;
}

// ---- queue messages ----

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
  /** Fences sends: absent only on messages queued before tokens existed. */
  token?: string;
}

/** The queue message a consumer is handling: its id and how many times it has been delivered. */
export interface QueueDelivery {
  messageId: string;
  delivery: number;
}
