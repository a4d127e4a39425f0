import type { TaskgroupSpec } from "../engine/types";

/**
 * The most a taskgroup's stored spec may take. A Durable Object's SQLite holds at most 2 MB in one
 * row and the spec is one column of `info`: over this the insert fails on every try, so a spec this
 * large is refused before anything is reserved or started.
 */
export const MAX_SPEC_BYTES = 1536 * 1024;

/** The spec's size as the Taskgroup stores it (JSON text, UTF-8). */
export const specBytes = (spec: TaskgroupSpec): number => new TextEncoder().encode(JSON.stringify(spec)).length;
