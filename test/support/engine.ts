/** What the engine tiers look at inside a TaskGroup object: its runs, its outbox, its steps' leases. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, inject } from "vitest";
import type { TaskGroup } from "../../src/durable/task-group";
import { taskGroup } from "../../src/lib/stubs";
import { apiJson, s3, type TestClient } from "./api";

export interface Run {
  idx: number;
  run: number;
  claimed_at: number;
  reported_at: number | null;
}

export async function internals(c: TestClient, id: string) {
  return runInDurableObject(taskGroup(env, c.name, id), (_: TaskGroup, state) => ({
    runs: state.storage.sql.exec<Run & Record<string, SqlStorageValue>>("SELECT idx, run, claimed_at, reported_at FROM step_runs ORDER BY idx, run").toArray(),
    outbox: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
    active: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM steps WHERE state IN ('queued', 'running') OR deadline IS NOT NULL").one().n,
  }));
}

/** No two runs of a step overlapped: each run that reported did so before the next one was claimed. */
export function expectNoOverlap(runs: Run[]) {
  for (let i = 1; i < runs.length; i++) {
    const [a, b] = [runs[i - 1]!, runs[i]!];
    if (a.idx !== b.idx || a.reported_at === null) continue;
    expect(a.reported_at, `run ${a.run} of step ${a.idx} was still running when run ${b.run} was claimed`).toBeLessThanOrEqual(b.claimed_at);
  }
}

/** Waits until every delivery of the group has ended (none pending or waiting). */
export async function waitForDeliveries(c: TestClient, id: string, timeoutMs = 60_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await apiJson(`/api/taskgroup/${id}`, { headers: c.auth });
    if (body.deliveries.length && body.deliveries.every((d: any) => d.state === "succeeded" || d.state === "dead")) return body;
    if (Date.now() > until) throw new Error(`deliveries still open: ${JSON.stringify(body.deliveries.map((d: any) => [d.event, d.state]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The keys the S3 peer holds under `prefix` in bucket `media`. */
export async function s3Keys(prefix: string): Promise<string[]> {
  const res = await s3.fetch(`${inject("s3Endpoint")}/media?list-type=2&prefix=${encodeURIComponent(prefix)}`);
  expect(res.status).toBe(200);
  return [...(await res.text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!);
}
