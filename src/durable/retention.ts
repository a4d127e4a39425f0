import { r2Keys, type TaskgroupSpec } from "./taskgroup-model";

/**
 * Deletes every R2 object of a taskgroup: everything under its prefix (inputs, outputs, segments),
 * and inputs a repeated request (Idempotency-Key) stored under that request's own id.
 */
export async function deleteGroupFiles(
  files: R2Bucket,
  client: string,
  id: string,
  spec: TaskgroupSpec,
): Promise<void> {
  const prefix = r2Keys.taskgroup(client, id);
  const elsewhere = spec.steps.flatMap((s) =>
    s.input.kind === "data" &&
    s.input.file.key.startsWith(r2Keys.taskgroup(client, "")) &&
    !s.input.file.key.startsWith(prefix)
      ? [s.input.file.key]
      : [],
  );
  if (elsewhere.length) await files.delete(elsewhere);
  let cursor: string | undefined;
  do {
    const page = await files.list({ prefix, cursor });
    if (page.objects.length) await files.delete(page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}
