import { type ClientFiles, r2Keys } from "../lib/files";
import type { TaskgroupSpec } from "../engine/types";

/**
 * Deletes every R2 object of a taskgroup: everything under its prefix (inputs, outputs, segments),
 * and inputs a repeated request (Idempotency-Key) stored under that request's own id.
 */
export async function deleteTaskgroupFiles(files: ClientFiles, id: string, spec: TaskgroupSpec): Promise<void> {
  const prefix = r2Keys.taskgroup(files.client, id);
  const elsewhere = spec.steps.flatMap((s) =>
    s.input.kind === "data" &&
    s.input.file.key.startsWith(r2Keys.taskgroup(files.client, "")) &&
    !s.input.file.key.startsWith(prefix)
      ? [s.input.file.key]
      : [],
  );
  await files.delete(elsewhere);
  await files.deletePrefix(prefix);
}
