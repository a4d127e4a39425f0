import { DELIVERY_LEASES, DELIVERY_SCHEMA } from "./delivery-log";
import { OUTBOX_SCHEMA } from "./outbox";

/** The Taskgroup object's SQLite schema, one entry per version (applied on wake by Sql.migrate). */
export const TASKGROUP_MIGRATIONS = [
  `CREATE TABLE info (id TEXT PRIMARY KEY, client TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
     spec TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT);
   CREATE TABLE steps (idx INTEGER PRIMARY KEY, name TEXT NOT NULL, state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0, token TEXT, deadline INTEGER, progress INTEGER, results TEXT, error TEXT,
     output TEXT, started_at TEXT, ended_at TEXT);
   ${DELIVERY_SCHEMA}`,
  // v2: retention. The group's files are deleted from R2 at `retention_at` (epoch ms) after it ends.
  `ALTER TABLE info ADD COLUMN retention_at INTEGER;
   ALTER TABLE info ADD COLUMN files_deleted_at TEXT;`,
  // v3: the transactional engine: leases and segments on steps, a log of runs, the outbox, idempotent commands.
  `ALTER TABLE steps ADD COLUMN seg INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE steps ADD COLUMN segs INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE steps ADD COLUMN seg_attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE steps ADD COLUMN run INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE steps ADD COLUMN holder TEXT;
   ALTER TABLE steps ADD COLUMN holder_try INTEGER;
   ALTER TABLE steps ADD COLUMN seg_input TEXT;
   ALTER TABLE steps ADD COLUMN first_started_ms INTEGER;
   CREATE TABLE step_runs (idx INTEGER NOT NULL, run INTEGER NOT NULL, seg INTEGER NOT NULL, message_id TEXT NOT NULL,
     claimed_at INTEGER NOT NULL, reported_at INTEGER, outcome TEXT, PRIMARY KEY (idx, run));
   CREATE TABLE commands (id TEXT PRIMARY KEY, result TEXT NOT NULL, at INTEGER NOT NULL);
   ${OUTBOX_SCHEMA}
   ${DELIVERY_LEASES}`,
  // v4: why a failed step failed (its failure's kind), for counting failures by reason.
  `ALTER TABLE steps ADD COLUMN failure TEXT;`,
];
