import { storageTargetDocs } from "./client-documents";
import { DurableObject } from "cloudflare:workers";
import { segmentsOf } from "../adapters/catalog";
import { configOf } from "../lib/config";
import { fault, takeFault } from "../lib/faults";
import { clientStore } from "../lib/stubs";
import { scheduleOf } from "../schemas/callbacks";
import { notifyDelivery, uploadTargets } from "../delivery/plan";
import { type DeliveryClaim, DeliveryLog, type HandedDelivery, type Handoff } from "./delivery-log";
import { TASKGROUP_MIGRATIONS } from "./taskgroup-schema";
import { transition, type Command, type Reply } from "./taskgroup-machine";
import { Outbox, type OutboxItem } from "./outbox";
import { json, parse, Sql } from "./sql";
import { sendOutboxItem } from "./outbox-send";
import { writeTransition } from "./transition-writer";
import { systemViewOf, type TaskgroupSystemView } from "./system-view";
import { claimedOf, machineStep, snapshotOf, viewOf, type InfoRow, type StepRow } from "./taskgroup-view";
import { filesOf, r2Keys } from "../lib/files";
import { deleteTaskgroupFiles } from "./retention";
import {
  isTerminal,
  type AttemptRecord,
  type ClaimedStep,
  type FailureReason,
  type QueueDelivery,
  type StepFile,
  type StepMessage,
  type StepOutcome,
  type TaskgroupSpec,
  type TaskgroupStatus,
} from "../engine/types";

export type CommandResult =
  | { ok: true; status: TaskgroupStatus }
  | { ok: false; status: TaskgroupStatus | null; why: string };

/**
 * One taskgroup. Every change is a transition of the pure machine (taskgroup-machine.ts), applied in
 * one storage transaction together with the outbox rows for its effects; the outbox is sent after
 * the commit, and the alarm sends whatever is left, watches leases, and runs retention.
 */
export class Taskgroup extends DurableObject<Env> {
  private readonly sql: Sql;
  private readonly outbox: Outbox;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage);
    this.sql.migrate(TASKGROUP_MIGRATIONS);
    this.outbox = new Outbox(this.sql);
  }

  private info(): InfoRow | undefined {
    return this.sql.one<InfoRow>("SELECT * FROM info");
  }

  private steps(): StepRow[] {
    return this.sql.all<StepRow>("SELECT * FROM steps ORDER BY idx");
  }

  private deliveries(info = this.info()!): DeliveryLog {
    return new DeliveryLog(this.sql, this.outbox, { client: info.client, taskgroupId: info.id });
  }

  // ---- applying transitions ----

  /** Runs one command of the machine inside a transaction; `after` reads the result in the same one. */
  private apply<T = Reply>(command: Command, after?: (reply: Reply, now: number) => T): T | Reply {
    const out = this.ctx.storage.transactionSync(() => {
      const now = Date.now();
      const reply = this.step(command, now);
      return after ? after(reply, now) : reply;
    });
    this.armAlarm();
    return out;
  }

  /** One transition written to storage; the caller holds the transaction. */
  private step(command: Command, now: number): Reply {
    const info = this.info();
    if (!info) return { type: "ignored", why: "no taskgroup" };
    const group = { status: info.status, steps: this.steps().map(machineStep), filesDeleted: !!info.files_deleted_at };
    const { stepMaxAttempts, stepTimeoutMs, retentionMs } = configOf(this.env);
    const t = transition(group, command, { now, maxAttempts: stepMaxAttempts, timeoutMs: stepTimeoutMs, retentionMs });
    writeTransition(this.sql, this.outbox, info, t, now, () => ({
      log: this.deliveries(info),
      snapshot: this.snapshot(),
    }));
    if (command.type === "claim" && t.reply.type === "claimed") {
      this.sql.run(
        "INSERT INTO step_runs (idx, run, seg, message_id, claimed_at) VALUES (?, ?, ?, ?, ?)",
        command.idx,
        t.reply.run,
        this.stepRow(command.idx).seg,
        command.messageId,
        now,
      );
    }
    if (command.type === "finish") {
      this.sql.run(
        "UPDATE step_runs SET reported_at = ?, outcome = ? WHERE idx = ? AND run = ?",
        now,
        command.outcome.ok ? "ok" : command.outcome.message,
        command.idx,
        command.run,
      );
    }
    return t.reply;
  }

  private stepRow(idx: number): StepRow {
    return this.sql.one<StepRow>("SELECT * FROM steps WHERE idx = ?", idx)!;
  }

  private snapshot() {
    return snapshotOf(this.info()!, this.steps());
  }

  /** Test hook: an armed `reset:<point>` resets the object here, after the commit and before its effects go out. */
  private async resetPoint(point: string): Promise<void> {
    const info = this.info();
    if (!info || !takeFault(`reset:${point}`, info.client)) return;
    await this.ctx.storage.sync();
    this.ctx.abort(`injected reset at ${point}`);
  }

  // ---- the outbox ----

  /** Sends every due outbox row; a failed send stays for the alarm, with backoff. */
  private async drain(): Promise<void> {
    for (;;) {
      const row = this.ctx.storage.transactionSync(() => this.outbox.claimNext(Date.now()));
      if (!row) break;
      try {
        await this.perform(row.id, row.item);
        this.outbox.done(row.id);
      } catch (err) {
        console.error(
          JSON.stringify({
            msg: "outbox send failed",
            taskgroup: this.info()?.id,
            kind: row.item.kind,
            error: String(err),
          }),
        );
        this.outbox.failed(row.id, String(err), Date.now());
        break;
      }
    }
    this.armAlarm();
  }

  private async perform(id: number, item: OutboxItem): Promise<void> {
    const info = this.info()!;
    switch (item.kind) {
      case "send":
      case "index":
        await sendOutboxItem(this.env, info, item);
        return;
      case "index_delivery": {
        fault("rpc:index_delivery", info.client);
        const summary = this.deliveries(info).summary(item.id);
        if (summary) await clientStore(this.env, info.client).indexDelivery({ ...summary, task_id: info.id });
        return;
      }
      case "notify_targets": {
        const targets = uploadTargets(this.snapshot());
        fault("rpc:storage_targets", info.client);
        const docs = targets.size ? await storageTargetDocs(this.env, info.client).getMany([...targets.keys()]) : {};
        // The deliveries and the end of this row commit together: a reset cannot notify twice.
        this.ctx.storage.transactionSync(() => {
          if (!this.sql.one("SELECT 1 AS x FROM outbox WHERE id = ?", id)) return;
          const log = this.deliveries(info);
          const snap = this.snapshot();
          for (const [name, steps] of targets) {
            const doc = docs[name];
            if (doc?.notify)
              log.add(
                notifyDelivery(snap, name, doc.notify, steps, doc.notify_retry && scheduleOf(doc.notify_retry)),
                Date.now(),
              );
          }
          this.outbox.done(id);
        });
        return;
      }
      default: {
        const unreachable: never = item;
        throw new Error(`unknown outbox item ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** One alarm: the outbox, the step and delivery watchdogs, and retention once the group has ended. */
  private armAlarm(): void {
    const info = this.info();
    if (!info) return;
    const steps = isTerminal(info.status)
      ? null
      : (this.sql.one<{ d: number | null }>("SELECT MIN(deadline) AS d FROM steps WHERE state IN ('queued', 'running')")
          ?.d ?? null);
    const retention = info.files_deleted_at ? null : info.retention_at;
    const due = [steps, retention, this.outbox.nextDue(), this.deliveries(info).nextDue()].filter(
      (t): t is number => t !== null,
    );
    if (due.length) void this.ctx.storage.setAlarm(Math.min(...due));
    else void this.ctx.storage.deleteAlarm();
  }

  override async alarm(): Promise<void> {
    const info = this.info();
    if (!info) return;
    await this.drain();
    this.apply({ type: "tick" }, () => this.deliveries(info).watch(Date.now()));
    if (info.retention_at !== null && info.retention_at <= Date.now() && !info.files_deleted_at)
      await this.deleteFiles(info);
    await this.drain();
  }

  /** Retention: every R2 object of this taskgroup goes; the record stays. */
  private async deleteFiles(info: InfoRow): Promise<void> {
    await deleteTaskgroupFiles(filesOf(this.env, info.client), info.id, parse<TaskgroupSpec>(info.spec));
    this.sql.run("UPDATE info SET files_deleted_at = ?", new Date().toISOString());
    this.armAlarm();
  }

  // ---- RPC: the submission ----

  /** Stores the submission and starts it. Creating again (a repeated request) finishes what the first started. */
  async create(spec: TaskgroupSpec): Promise<void> {
    if (!this.info()) {
      this.ctx.storage.transactionSync(() => {
        this.sql.run(
          "INSERT INTO info (id, client, kind, status, spec, created_at) VALUES (?, ?, ?, 'Queued', ?, ?)",
          spec.id,
          spec.client,
          spec.kind,
          json(spec),
          new Date().toISOString(),
        );
        for (const [i, s] of spec.steps.entries())
          this.sql.run(
            "INSERT INTO steps (idx, name, state, segs) VALUES (?, ?, 'queued', ?)",
            i,
            s.name,
            segmentsOf(s.chain).length,
          );
        this.step({ type: "start" }, Date.now());
      });
      this.armAlarm();
      await this.resetPoint("create");
    }
    await this.drain();
  }

  /** Cancel and retry, idempotent by `requestId` so a repeated request gets the first answer. */
  async command(action: "cancel" | "retry", requestId: string): Promise<CommandResult> {
    const prior = this.sql.one<{ result: string }>("SELECT result FROM commands WHERE id = ?", requestId);
    if (prior) {
      await this.drain();
      return parse<CommandResult>(prior.result);
    }
    const result = this.apply({ type: action }, (reply): CommandResult => {
      const status = this.info()?.status ?? null;
      const r: CommandResult =
        reply.type === "done"
          ? { ok: true, status: status! }
          : { ok: false, status, why: reply.type === "refused" ? reply.why : "no taskgroup" };
      this.sql.run("INSERT INTO commands (id, result, at) VALUES (?, ?, ?)", requestId, json(r), Date.now());
      return r;
    }) as CommandResult;
    await this.resetPoint(action);
    await this.drain();
    return result;
  }

  // ---- RPC: the step runners (through the engine entrypoint) ----

  /** Hands step `msg.step` to the invocation handling queue message `q`: a run, "busy" (a duplicate), or null. */
  async claimStep(msg: StepMessage, q: QueueDelivery): Promise<ClaimedStep | "busy" | null> {
    const out = this.apply(
      { type: "claim", idx: msg.step, token: msg.token, messageId: q.messageId, delivery: q.delivery },
      (reply) =>
        reply.type === "claimed"
          ? claimedOf(this.info()!, this.steps(), msg.step, reply.run)
          : reply.type === "busy"
            ? ("busy" as const)
            : null,
    ) as ClaimedStep | "busy" | null;
    await this.resetPoint("claim");
    await this.drain();
    return out;
  }

  /** Progress of a running step in percent; callbacks hear of it in 10 % steps. */
  async reportProgress(msg: StepMessage, run: number, percent: number): Promise<void> {
    this.apply({ type: "progress", idx: msg.step, token: msg.token, run, percent });
    await this.drain();
  }

  /** Records how a run ended; a report from a run that no longer holds the step changes nothing. */
  async finishStep(msg: StepMessage, run: number, outcome: StepOutcome): Promise<void> {
    this.apply({ type: "finish", idx: msg.step, token: msg.token, run, outcome });
    await this.resetPoint("finish");
    await this.drain();
  }

  /** A step whose message was dead-lettered fails the group. */
  async abandonStep(msg: StepMessage, message: string, reason: FailureReason): Promise<void> {
    this.apply({ type: "abandon", idx: msg.step, token: msg.token, message, reason });
    await this.drain();
  }

  // ---- RPC: deliveries ----

  async claimDelivery(id: string, token: string | undefined, q: QueueDelivery): Promise<DeliveryClaim> {
    const out = this.locked((log, now) => log.claim(id, token ?? "", q.messageId, q.delivery, now)) ?? {
      type: "ignored" as const,
    };
    await this.drain();
    return out;
  }

  /**
   * Records the attempt of `holder` (the queue message's id, or the name a handed-over send was claimed
   * for). With `handoff`, the next delivery of the channel, if one is waiting, is claimed for it and
   * returned, to be sent at once by the same invocation.
   */
  async recordDeliveryAttempt(
    id: string,
    token: string | undefined,
    holder: string,
    attempt: AttemptRecord,
    handoff?: Handoff,
  ): Promise<HandedDelivery | null> {
    const out = this.locked((log, now) => log.record(id, token ?? "", holder, attempt, now, handoff));
    await this.resetPoint("record_delivery");
    await this.drain();
    return out?.handed ?? null;
  }

  /** A delivery the queue dead-lettered (its consumer kept crashing) is marked dead, never left pending. */
  async deadLetterDelivery(id: string, token: string | undefined): Promise<void> {
    this.locked((log, now) => log.deadLetter(id, token, now));
    await this.drain();
  }

  /** Sends a dead delivery again with the same id: "sent", "not_found" or "not_dead". */
  async redeliver(id: string): Promise<"sent" | "not_found" | "not_dead"> {
    const out = this.locked((log, now) => log.redeliver(id, now)) ?? "not_found";
    await this.drain();
    return out;
  }

  /** A delivery change in one transaction, with the alarm re-armed. */
  private locked<T>(fn: (log: DeliveryLog, now: number) => T): T | undefined {
    const info = this.info();
    if (!info) return undefined;
    const out = this.ctx.storage.transactionSync(() => fn(this.deliveries(info), Date.now()));
    this.armAlarm();
    return out;
  }

  // ---- RPC: reads ----

  async status(): Promise<TaskgroupStatus | null> {
    return this.info()?.status ?? null;
  }

  /** This group's share of the System page (src/durable/system-view.ts); null when it holds no taskgroup. */
  async systemView(): Promise<TaskgroupSystemView | null> {
    const info = this.info();
    if (!info) return null;
    return systemViewOf(parse<TaskgroupSpec>(info.spec), info.created_at, this.steps(), this.deliveries(info).list());
  }

  /** The status document of `GET /api/taskgroup/{id}`; null when this object holds no taskgroup. */
  async view() {
    const info = this.info();
    return info ? viewOf(info, this.steps(), this.deliveries(info).list()) : null;
  }

  /**
   * The R2 key of a file a succeeded step produced: its output, or another file it wrote beside it
   * (HLS segments). The route answers 404 when no such object exists.
   */
  async outputKey(stepName: string, fileName: string): Promise<string | "expired" | null> {
    const info = this.info();
    if (!info) return null;
    if (info.files_deleted_at) return "expired";
    const row = this.sql.one<{ output: string | null }>(
      "SELECT output FROM steps WHERE name = ? AND state = 'succeeded'",
      stepName,
    );
    if (!row) return null;
    const out = parse<StepFile | null>(row.output);
    if (out && out.file_name === fileName) return out.key;
    return r2Keys.output(info.client, info.id, stepName, fileName);
  }

  /** The R2 key of a step's input file (submitted, uploaded or an asset), while the group's files are kept. */
  async inputKey(stepName: string, fileName: string): Promise<string | "expired" | null> {
    const info = this.info();
    if (!info) return null;
    if (info.files_deleted_at) return "expired";
    const input = parse<TaskgroupSpec>(info.spec).steps.find((s) => s.name === stepName)?.input;
    return input?.kind === "data" && input.file.file_name === fileName ? input.file.key : null;
  }
}
