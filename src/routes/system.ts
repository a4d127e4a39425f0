import { createRoute, z } from "@hono/zod-openapi";
import type { TaskgroupSystemView } from "../durable/system-view";
import { filesOf } from "../lib/files";
import { clientStore, taskgroupStub } from "../lib/stubs";
import { errorResponses } from "../schemas/common";
import { router } from "./app-env";

/**
 * The System page's data, for the signed-in client, from the engine's own records: each queue's
 * backlog and oldest waiting message, dead letters by reason, R2 use, recent step failures by reason.
 * It reads the client's active taskgroups, its newest ones and those with dead letters, each up to a
 * bound, so its cost stays flat; `scanned` says how many were read.
 */
export const system = router();

const ACTIVE_LIMIT = 100;
const RECENT_LIMIT = 50;
const DEAD_LIMIT = 200;
const QUEUES = { api: "cascade-steps", image: "cascade-image", media: "cascade-media" } as const;

const queueRow = z.object({
  queue: z.string(),
  waiting: z.number().int(),
  running: z.number().int(),
  oldest_waiting_s: z.number().nullable(),
});
const count = z.object({ reason: z.string(), count: z.number().int() });
export const systemSchema = z
  .object({
    generated_at: z.string(),
    queues: z.array(queueRow),
    dead_letters: z.array(count),
    storage: z.object({ objects: z.number().int(), bytes: z.number().int(), complete: z.boolean() }),
    recent_failures: z.array(count.extend({ last_at: z.string() })),
    scanned: z.object({ taskgroups: z.number().int() }),
  })
  .openapi("System");

const ageS = (iso: string | null, now: number) =>
  iso ? Math.max(0, Math.round((now - Date.parse(iso)) / 1000)) : null;

function counted<T extends { reason: string }>(items: T[], merge: (a: T, b: T) => T = (a) => a) {
  const by = new Map<string, T & { count: number }>();
  for (const item of items) {
    const seen = by.get(item.reason);
    by.set(item.reason, seen ? { ...merge(seen, item), count: seen.count + 1 } : { ...item, count: 1 });
  }
  return [...by.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

system.openapi(
  createRoute({
    method: "get",
    path: "/api/system",
    tags: ["client"],
    description:
      "Queue backlogs, dead letters by reason, R2 use and recent step failures by reason, for the signed-in client.",
    responses: {
      200: { description: "The System page's data", content: { "application/json": { schema: systemSchema } } },
      ...errorResponses,
    },
  }),
  async (c) => {
    const client = c.get("client");
    const store = clientStore(c.env, client);
    const [queued, running, recent, dead, storage] = await Promise.all([
      store.listTaskgroups({ status: "Queued", limit: ACTIVE_LIMIT }),
      store.listTaskgroups({ status: "Running", limit: ACTIVE_LIMIT }),
      store.listTaskgroups({ limit: RECENT_LIMIT }),
      store.listDeliveries("dead", DEAD_LIMIT),
      filesOf(c.env, client).usage(),
    ]);
    const ids = new Set([...queued, ...running, ...recent].map((g) => g.id));
    for (const d of dead) ids.add(d.task_id);
    const views = (
      await Promise.all(
        [...ids].map((id) => taskgroupStub(c.env, client, id).systemView() as Promise<TaskgroupSystemView | null>),
      )
    ).filter((v): v is TaskgroupSystemView => v !== null);

    const now = Date.now();
    const queues: z.infer<typeof queueRow>[] = (Object.keys(QUEUES) as (keyof typeof QUEUES)[]).map((runtime) => {
      const here = views.flatMap((v) => v.steps.filter((s) => s.queue === runtime));
      const waiting = here.filter((s) => s.state === "queued");
      return {
        queue: QUEUES[runtime],
        waiting: waiting.length,
        running: here.length - waiting.length,
        oldest_waiting_s: ageS(waiting.map((s) => s.since).sort()[0] ?? null, now),
      };
    });
    const oldestDelivery = views
      .map((v) => v.deliveries.oldest)
      .filter((d): d is string => d !== null)
      .sort()[0];
    queues.push({
      queue: "cascade-deliveries",
      waiting: views.reduce((n, v) => n + v.deliveries.pending, 0),
      running: 0,
      oldest_waiting_s: ageS(oldestDelivery ?? null, now),
    });
    const failures = views.flatMap((v) => (v.failure ? [{ reason: v.failure.reason, last_at: v.failure.at }] : []));
    return c.json(
      {
        generated_at: new Date(now).toISOString(),
        queues,
        dead_letters: counted(views.flatMap((v) => v.dead.map((reason) => ({ reason })))),
        storage,
        recent_failures: counted(failures, (a, b) => (a.last_at > b.last_at ? a : b)),
        scanned: { taskgroups: views.length },
      },
      200,
    );
  },
);
