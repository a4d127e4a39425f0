/** A taskgroup's status: the one list every schema, the engine, the client and the dashboard use. */
export const STATUSES = ["Queued", "Running", "Succeeded", "Failed", "Cancelled"] as const;
export type TaskgroupStatus = (typeof STATUSES)[number];
/** The statuses a taskgroup ends in; nothing changes it after (but a retry of a Failed one). */
export const TERMINAL: readonly TaskgroupStatus[] = ["Succeeded", "Failed", "Cancelled"];
