import { DurableObject } from "cloudflare:workers";
import type { StepFile } from "../adapters/types";
import { describeFailure, type Failure } from "../lib/failures";
import { stepRuntime } from "../adapters/catalog";
import { scheduleOf } from "../schemas/callbacks";
import type { GroupEvent, GroupSnapshot } from "./callback-formats";
import { notifyDelivery, planDeliveries, uploadTargets } from "./callback-plan";
import { DELIVERY_SCHEMA, DeliveryLog, type DeliveryEnded, type NewDelivery, type NextStep } from "./delivery-log";
import { json, parse, Sql } from "./sql";
import { snapshotOf, TERMINAL, viewOf, type InfoRow, type StepRow } from "./task-group-view";
import { r2Keys } from "./taskgroup-model";
import type {
  AttemptRecord,
  ClaimedStep,
  DeliveryMessage,
  GroupStatus,
  PendingDelivery,
  StepMessage,
  StepOutcome,
  StepState,
  TaskgroupSpec,
} from "./taskgroup-model";

const MIGRATIONS = [
  `CREATE TABLE info (id TEXT PRIMARY KEY, client TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
     spec TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT);
   CREATE TABLE steps (idx INTEGER PRIMARY KEY, name TEXT NOT NULL, state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0, token TEXT, deadline INTEGER, progress INTEGER, results TEXT, error TEXT,
     output TEXT, started_at TEXT, ended_at TEXT);
   ${DELIVERY_SCHEMA}`,
  // v2: retention. The group's files are deleted from R2 at `retention_at` (epoch ms) after it ends.
  `ALTER TABLE info ADD COLUMN retention_at INTEGER;
   ALTER TABLE info ADD COLUMN files_deleted_at TEXT;`,
];

const ACTIVE = (s: StepState) => s === "queued" || s === "running";

/** One taskgroup: its steps run strictly in order, one queue message at a time, watched by an alarm. */
export class TaskGroup extends DurableObject<Env> {
  private readonly sql: Sql;
  private readonly deliveries: DeliveryLog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage);
    this.sql.migrate(MIGRATIONS);
    this.deliveries = new DeliveryLog(this.sql);
  }

  private info(): InfoRow | undefined {
    return this.sql.one<InfoRow>("SELECT * FROM info");
  }

  private spec(): TaskgroupSpec {
    return parse<TaskgroupSpec>(this.info()!.spec);
  }

  private steps(): StepRow[] {
    return this.sql.all<StepRow>("SELECT * FROM steps ORDER BY idx");
  }

  private step(idx: number): StepRow | undefined {
    return this.sql.one<StepRow>("SELECT * FROM steps WHERE idx = ?", idx);
  }

  private get stepTimeoutMs(): number {
    return Number(this.env.STEP_TIMEOUT_S) * 1000;
  }

  private get maxAttempts(): number {
    return Number(this.env.STEP_MAX_ATTEMPTS);
  }

  /** Stores the submission and queues its first step. Creating twice is a no-op. */
  async create(spec: TaskgroupSpec): Promise<void> {
    if (this.info()) return;
    const now = new Date().toISOString();
    this.ctx.storage.transactionSync(() => {
      this.sql.run(
        "INSERT INTO info (id, client, kind, status, spec, created_at) VALUES (?, ?, ?, 'Queued', ?, ?)",
        spec.id, spec.client, spec.kind, json(spec), now,
      );
      spec.steps.forEach((s, i) => this.sql.run("INSERT INTO steps (idx, name, state) VALUES (?, ?, 'queued')", i, s.name));
    });
    await this.index();
    await this.enqueue(0);
  }

  /** Hands step `idx` to the consumer holding `token`; null when it must not run (finished, or superseded). */
  async claimStep(idx: number, token: string): Promise<ClaimedStep | null> {
    const info = this.info();
    const row = this.step(idx);
    if (!info || !row || TERMINAL.includes(info.status) || row.token !== token || !ACTIVE(row.state)) return null;
    const now = new Date().toISOString();
    this.sql.run(
      "UPDATE steps SET state = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, ?), deadline = ? WHERE idx = ?",
      now, Date.now() + this.stepTimeoutMs, idx,
    );
    if (info.status === "Queued") {
      this.sql.run("UPDATE info SET status = 'Running', started_at = ?", now);
      await this.index();
    }
    await this.armWatchdog();
    // Once per run of the step: not again for a queue retry or a watchdog re-queue, but again after /retry.
    if (row.started_at === null) await this.emit({ type: "task.started", step: idx });
    const group = this.spec();
    const spec = group.steps[idx]!;
    const outputOf = (name: string): StepFile => {
      const earlier = this.sql.one<{ output: string }>("SELECT output FROM steps WHERE name = ? AND state = 'succeeded'", name);
      return parse<StepFile>(earlier?.output);
    };
    const overrideFiles = Object.fromEntries(Object.entries(spec.overrides).map(([param, from]) => [param, outputOf(from)]));
    const inputFile =
      spec.input.kind === "data" ? spec.input.file : spec.input.kind === "input" ? outputOf(spec.input.from) : undefined;
    return { spec, origin: group.origin, attempt: row.attempts + 1, inputFile, overrideFiles };
  }

  /** Progress of a running step in percent; callbacks hear of it in 10 % steps. */
  async reportProgress(idx: number, token: string, percent: number): Promise<void> {
    const row = this.step(idx);
    if (!row || row.token !== token || row.state !== "running") return;
    const p = Math.max(0, Math.min(100, Math.floor(percent)));
    if (row.progress !== null && p <= row.progress) return;
    this.sql.run("UPDATE steps SET progress = ? WHERE idx = ?", p, idx);
    if (Math.floor(p / 10) > Math.floor((row.progress ?? 0) / 10)) await this.emit({ type: "task.progress", step: idx, progress: p });
  }

  /** Records how a run ended. Returns whether the consumer should retry the same message. */
  async finishStep(idx: number, token: string, outcome: StepOutcome): Promise<{ retry: boolean }> {
    const row = this.step(idx);
    if (!row || row.token !== token || row.state !== "running") return { retry: false };
    if (outcome.ok) {
      this.sql.run(
        "UPDATE steps SET state = 'succeeded', results = ?, output = ?, error = NULL, progress = 100, ended_at = ?, deadline = NULL WHERE idx = ?",
        json(outcome.results), json(outcome.output), new Date().toISOString(), idx,
      );
      await this.emit({ type: "task.succeeded", step: idx });
      if (idx + 1 < this.steps().length) await this.enqueue(idx + 1);
      else await this.end("Succeeded");
      return { retry: false };
    }
    if (outcome.retryable && row.attempts < this.maxAttempts) {
      this.sql.run("UPDATE steps SET state = 'queued', error = ?, deadline = ? WHERE idx = ?", outcome.message, Date.now() + this.stepTimeoutMs, idx);
      return { retry: true };
    }
    await this.failStep(idx, outcome.message);
    return { retry: false };
  }

  /** A step whose message was dead-lettered fails the group. */
  async abandonStep(idx: number, token: string, failure: Failure): Promise<void> {
    const row = this.step(idx);
    if (!row || row.token !== token || !ACTIVE(row.state)) return;
    await this.failStep(idx, describeFailure(failure).message);
  }

  private async failStep(idx: number, message: string): Promise<void> {
    const now = new Date().toISOString();
    this.sql.run(
      "UPDATE steps SET state = 'failed', error = ?, ended_at = ?, started_at = COALESCE(started_at, ?), deadline = NULL WHERE idx = ?",
      message, now, now, idx,
    );
    this.sql.run("UPDATE steps SET state = 'skipped', deadline = NULL WHERE idx > ? AND state = 'queued'", idx);
    await this.emit({ type: "task.failed", step: idx });
    await this.end("Failed");
  }

  /**
   * Stops the group: queued steps are skipped, a running step is abandoned (its late report is
   * ignored, as its token no longer matches), and callbacks hear `Cancelled`. False when already ended.
   */
  async cancel(): Promise<boolean> {
    const info = this.info();
    if (!info || TERMINAL.includes(info.status)) return false;
    const now = new Date().toISOString();
    this.sql.run("UPDATE steps SET state = 'skipped', token = NULL, deadline = NULL, ended_at = COALESCE(ended_at, ?) WHERE state IN ('queued', 'running')", now);
    await this.end("Cancelled");
    return true;
  }

  /**
   * Resumes a failed group from its failed step, with the same inputs and the earlier steps'
   * outputs; attempts go on counting. False unless the group has failed.
   */
  async retry(): Promise<boolean> {
    const info = this.info();
    const failed = this.sql.one<{ idx: number }>("SELECT idx FROM steps WHERE state = 'failed' ORDER BY idx LIMIT 1");
    if (!info || info.status !== "Failed" || !failed) return false;
    this.sql.run(
      "UPDATE steps SET state = 'queued', error = NULL, results = NULL, output = NULL, progress = NULL, started_at = NULL, ended_at = NULL WHERE idx >= ?",
      failed.idx,
    );
    this.sql.run("UPDATE info SET status = 'Running', ended_at = NULL");
    await this.index();
    await this.enqueue(failed.idx);
    return true;
  }

  /** Watchdog: a step past its deadline (lost message, crashed consumer) is re-queued, or failed once out of attempts. */
  override async alarm(): Promise<void> {
    const info = this.info();
    if (!info) return;
    if (TERMINAL.includes(info.status)) {
      if (info.retention_at !== null && info.retention_at <= Date.now() && !info.files_deleted_at) await this.deleteFiles();
      return this.armWatchdog();
    }
    for (const row of this.steps()) {
      if (!ACTIVE(row.state) || row.deadline === null || row.deadline > Date.now()) continue;
      if (row.attempts < this.maxAttempts) await this.enqueue(row.idx);
      else await this.failStep(row.idx, describeFailure({ kind: "timed_out", seconds: this.stepTimeoutMs / 1000 }).message);
    }
    await this.armWatchdog();
  }

  /** One alarm serves both the step watchdog and, once the group has ended, file retention. */
  private async armWatchdog(): Promise<void> {
    const step = this.sql.one<{ d: number | null }>("SELECT MIN(deadline) AS d FROM steps WHERE deadline IS NOT NULL")?.d ?? null;
    const info = this.info();
    const retention = info && !info.files_deleted_at ? info.retention_at : null;
    const next = [step, retention].filter((t): t is number => t !== null).sort((a, b) => a - b)[0];
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }

  /** Retention: every R2 object of this taskgroup (inputs, outputs, segments) goes; the record stays. */
  private async deleteFiles(): Promise<void> {
    const info = this.info()!;
    const prefix = `clients/${info.client}/taskgroups/${info.id}/`;
    let cursor: string | undefined;
    do {
      const page = await this.env.FILES.list({ prefix, cursor });
      if (page.objects.length) await this.env.FILES.delete(page.objects.map((o) => o.key));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    this.sql.run("UPDATE info SET files_deleted_at = ?", new Date().toISOString());
  }

  /** Queues step `idx` under a fresh token: any older message for it is then ignored. */
  private async enqueue(idx: number): Promise<void> {
    const info = this.info()!;
    const token = crypto.randomUUID();
    this.sql.run("UPDATE steps SET state = 'queued', token = ?, deadline = ? WHERE idx = ?", token, Date.now() + this.stepTimeoutMs, idx);
    await this.armWatchdog();
    const msg: StepMessage = { client: info.client, taskgroupId: info.id, step: idx, token };
    // Steps with heavy adapters go to their Worker's queue; the message and its handling are the same.
    const queue = { api: this.env.STEPS, image: this.env.IMAGE, media: this.env.MEDIA }[stepRuntime(this.spec().steps[idx]!.chain)];
    await queue.send(msg);
  }

  private async end(status: GroupStatus): Promise<void> {
    const retentionAt = Date.now() + Number(this.env.RETENTION_DAYS) * 86_400_000;
    this.sql.run("UPDATE info SET status = ?, ended_at = ?, retention_at = ?", status, new Date().toISOString(), retentionAt);
    await this.armWatchdog();
    await this.index();
    const snap = this.snapshot();
    await this.emit({ type: "job.ended" }, snap);
    await this.notifyStorageTargets(snap);
  }

  // ---- callbacks ----

  private snapshot(): GroupSnapshot {
    return snapshotOf(this.info()!, this.steps());
  }


  private async emit(event: GroupEvent, snap = this.snapshot()): Promise<void> {
    for (const d of planDeliveries(event, snap)) await this.queueDelivery(d);
  }

  /** Each storage target this group uploaded to, that has a `notify` URL, gets the AuroraCloud body. */
  private async notifyStorageTargets(snap: GroupSnapshot): Promise<void> {
    const targets = uploadTargets(snap);
    if (targets.size === 0) return;
    const docs = (await this.clientStore().getDocuments("storage_targets", [...targets.keys()])) as Record<
      string,
      { notify?: string; notify_retry?: { attempts: number; interval_s: number } }
    >;
    for (const [name, steps] of targets) {
      const doc = docs[name];
      if (doc?.notify) await this.queueDelivery(notifyDelivery(snap, name, doc.notify, steps, doc.notify_retry && scheduleOf(doc.notify_retry)));
    }
  }

  private async queueDelivery(d: NewDelivery): Promise<void> {
    const { id, sendNow } = this.deliveries.add(d);
    if (sendNow) await this.sendDelivery(id);
  }

  private async sendDelivery(deliveryId: string): Promise<void> {
    const info = this.info()!;
    const msg: DeliveryMessage = { client: info.client, taskgroupId: info.id, deliveryId };
    await this.env.DELIVERIES.send(msg);
  }

  private async deliveryEnded(ended: DeliveryEnded | null): Promise<void> {
    if (!ended) return;
    if (ended.next) await this.sendDelivery(ended.next);
    const summary = this.deliveries.summary(ended.id);
    if (summary) await this.clientStore().indexDelivery({ ...summary, task_id: this.info()!.id });
  }

  async pendingDelivery(id: string): Promise<PendingDelivery | null> {
    return this.deliveries.pending(id);
  }

  async recordDeliveryAttempt(id: string, attempt: AttemptRecord): Promise<NextStep> {
    const { next, ended } = this.deliveries.record(id, attempt);
    await this.deliveryEnded(ended);
    return next;
  }

  /** A delivery the queue dead-lettered (its consumer kept crashing) is marked dead, never left pending. */
  async deadLetterDelivery(id: string): Promise<void> {
    await this.deliveryEnded(this.deliveries.finish(id, "dead"));
  }

  /** Sends a dead delivery again with the same id: "sent", "not_found" or "not_dead". */
  async redeliver(id: string): Promise<"sent" | "not_found" | "not_dead"> {
    const state = this.deliveries.state(id);
    if (state === null) return "not_found";
    if (!this.deliveries.reopen(id)) return "not_dead";
    await this.sendDelivery(id);
    return "sent";
  }

  private clientStore() {
    return this.env.CLIENTS.get(this.env.CLIENTS.idFromName(this.info()!.client));
  }

  private async index(): Promise<void> {
    const info = this.info()!;
    await this.clientStore().indexTaskgroup({
      id: info.id,
      kind: info.kind,
      status: info.status,
      created_at: info.created_at,
      updated_at: new Date().toISOString(),
    });
  }

  async status(): Promise<GroupStatus | null> {
    return this.info()?.status ?? null;
  }

  /** The status document of `GET /api/taskgroup/{id}`; null when this object holds no taskgroup. */
  async view() {
    const info = this.info();
    return info ? viewOf(info, this.steps(), this.deliveries.list()) : null;
  }


  /**
   * The R2 key of a file a succeeded step produced: its output, or another file it wrote beside it
   * (HLS segments). The route answers 404 when no such object exists.
   */
  async outputKey(stepName: string, fileName: string): Promise<string | "expired" | null> {
    if (this.info()?.files_deleted_at) return "expired";
    const row = this.sql.one<{ output: string | null }>("SELECT output FROM steps WHERE name = ? AND state = 'succeeded'", stepName);
    if (!row) return null;
    const out = parse<StepFile | null>(row.output);
    if (out && out.file_name === fileName) return out.key;
    const info = this.info()!;
    return r2Keys.output(info.client, info.id, stepName, fileName);
  }
}
