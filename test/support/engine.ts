/** What the engine tiers look at inside a Taskgroup object: its runs, its outbox, its steps' leases. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, inject } from "vitest";
import type { Taskgroup } from "../../src/durable/taskgroup";
import { taskgroupStub } from "../../src/lib/stubs";
import { apiJson, newClient, newSink, putConfiguration, putStorage, s3, submit, type TestClient } from "./api";

export interface Run {
  idx: number;
  run: number;
  claimed_at: number;
  reported_at: number | null;
}

export async function internals(c: TestClient, id: string) {
  return runInDurableObject(taskgroupStub(env, c.name, id), (_: Taskgroup, state) => ({
    runs: state.storage.sql
      .exec<Run & Record<string, SqlStorageValue>>(
        "SELECT idx, run, claimed_at, reported_at FROM step_runs ORDER BY idx, run",
      )
      .toArray(),
    outbox: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
    active: state.storage.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM steps WHERE state IN ('queued', 'running') OR deadline IS NOT NULL",
      )
      .one().n,
  }));
}

/**
 * The object's internals once its outbox has drained. A status can be read as soon as a transition
 * commits, while that transition's effects are still being sent: an ended group only promises that
 * its outbox empties, not that it is empty the moment its status is visible. After a reset the row
 * waits for the outbox's alarm at its backoff: in one CI run, with the black-box suites beside it, a
 * row came due (tries 0) right at the end of a 15 s wait, so the wait is 45 s; the check is the same.
 */
export async function settledInternals(c: TestClient, id: string, timeoutMs = 45_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const inside = await internals(c, id);
    if (inside.outbox === 0) return inside;
    if (Date.now() > until) {
      const rows = await runInDurableObject(taskgroupStub(env, c.name, id), (_: Taskgroup, state) =>
        state.storage.sql.exec("SELECT kind, tries, last_error, not_before, lease_until FROM outbox").toArray(),
      );
      throw new Error(`outbox left unsent after ${timeoutMs} ms: ${JSON.stringify(rows)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** No two runs of a step overlapped: each run that reported did so before the next one was claimed. */
export function expectNoOverlap(runs: Run[]) {
  for (let i = 1; i < runs.length; i++) {
    const [a, b] = [runs[i - 1]!, runs[i]!];
    if (a.idx !== b.idx || a.reported_at === null) continue;
    expect(
      a.reported_at,
      `run ${a.run} of step ${a.idx} was still running when run ${b.run} was claimed`,
    ).toBeLessThanOrEqual(b.claimed_at);
  }
}

/** Waits until every delivery of the group has ended (none pending or waiting). */
export async function waitForDeliveries(c: TestClient, id: string, timeoutMs = 60_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await apiJson(`/api/taskgroup/${id}`, { headers: c.auth });
    if (body.deliveries.length && body.deliveries.every((d: any) => d.state === "succeeded" || d.state === "dead"))
      return body;
    if (Date.now() > until)
      throw new Error(`deliveries still open: ${JSON.stringify(body.deliveries.map((d: any) => [d.event, d.state]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The keys the S3 peer holds under `prefix` in bucket `media`. */
export async function s3Keys(prefix: string): Promise<string[]> {
  const res = await s3.fetch(`${inject("s3Endpoint")}/media?list-type=2&prefix=${encodeURIComponent(prefix)}`);
  expect(res.status).toBe(200);
  return [...(await res.text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!);
}

/** The engine's columns of one step. */
export async function stepRow(c: TestClient, id: string, idx = 0) {
  return runInDurableObject(taskgroupStub(env, c.name, id), (_: Taskgroup, state) =>
    state.storage.sql
      .exec<{
        state: string;
        token: string;
        attempts: number;
        run: number;
        holder: string | null;
        deadline: number | null;
      }>("SELECT state, token, attempts, run, holder, deadline FROM steps WHERE idx = ?", idx)
      .one(),
  );
}

export async function waitForStep(c: TestClient, id: string, want: (s: any) => boolean, idx = 0) {
  const until = Date.now() + 20_000;
  for (;;) {
    const { body } = await apiJson(`/api/taskgroup/${id}`, { headers: c.auth });
    if (want(body.steps[idx])) return body;
    if (Date.now() > until) throw new Error(`step never reached the wanted state: ${JSON.stringify(body.steps[idx])}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A group whose first step reads its input from a receiver that answers as `script` says, so it
 * can be held "running" (slow answers) or failed retryably (5xx); a second step uploads its output.
 */
export async function slowTaskgroup(
  script: { status: number; delayMs?: number }[],
  fields: (c: TestClient) => Promise<Record<string, unknown>> = async () => ({}),
  wait: (s: any) => boolean = (s) => s.state === "running",
) {
  const c = await newClient("dur");
  await putStorage(c, "s");
  await putConfiguration(c, "up", { adapter: "s3-upload", params: { storage: "s" } });
  await putConfiguration(c, "after", { adapter: "s3-upload", params: { storage: "s" } });
  const source = await newSink(c.secret, script);
  const { body } = await submit(c, {
    configuration_names: ["up", "after"],
    up_url: source.url,
    after_input: "up",
    ...(await fields(c)),
  });
  await waitForStep(c, body.task_id, wait);
  return { c, id: body.task_id as string, source, stub: taskgroupStub(env, c.name, body.task_id) };
}
