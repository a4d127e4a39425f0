import type { AdapterContext, StepFile } from "../adapters/types";
import type { ClaimedStep, StepMessage } from "../durable/taskgroup-model";
import { r2Keys } from "../durable/taskgroup-model";
import { StepError } from "../lib/failures";
import { openTarget, type SealedTarget } from "../lib/storage-targets";
import { clientStore, taskGroup } from "../lib/stubs";

type ContextEnv = Pick<Env, "FILES" | "CLIENTS" | "TASKGROUPS" | "SECRETS_KEY" | "MAX_VIDEO_MB" | "MAX_VIDEO_SECONDS">;

/**
 * The AdapterContext for one run of one step: R2 for files, the client's store for assets and
 * targets, the taskgroup for progress. `settle` waits for progress reports still in flight.
 */
export function stepContext(env: ContextEnv, msg: StepMessage, claim: ClaimedStep): { ctx: AdapterContext; settle: () => Promise<void> } {
  const step = claim.spec.name;
  const origin = claim.origin;
  const reports: Promise<unknown>[] = [];
  let reported = -1;
  const ctx: AdapterContext = {
    client: msg.client,
    taskgroupId: msg.taskgroupId,
    step,
    async read(file, range) {
      const obj = await env.FILES.get(file.key, range ? { range } : undefined);
      if (!obj) throw new StepError({ kind: "input_missing", fileName: file.file_name });
      return obj;
    },
    async asset(param, name) {
      const override = claim.overrideFiles[param];
      if (override) return override;
      const key = r2Keys.asset(msg.client, name);
      const head = await env.FILES.head(key);
      if (!head) throw new StepError({ kind: "asset_missing", param, name });
      return { key, file_name: name, content_type: head.httpMetadata?.contentType ?? "application/octet-stream", size: head.size };
    },
    async write(fileName, body, contentType) {
      const key = r2Keys.output(msg.client, msg.taskgroupId, step, fileName);
      const obj = await env.FILES.put(key, body, { httpMetadata: { contentType } });
      return { key, file_name: fileName, content_type: contentType, size: obj.size };
    },
    async storageTarget(name) {
      const sealed = await clientStore(env, msg.client).getDocument("storage_targets", name);
      if (!sealed) throw new StepError({ kind: "storage_target_missing", name });
      return openTarget(env.SECRETS_KEY, sealed as SealedTarget);
    },
    outputUrl(file: StepFile) {
      return `${origin}/api/taskgroup/${msg.taskgroupId}/outputs/${encodeURIComponent(step)}/${encodeURIComponent(file.file_name)}`;
    },
    limits: { maxVideoMb: Number(env.MAX_VIDEO_MB), maxVideoSeconds: Number(env.MAX_VIDEO_SECONDS) },
    progress(ratio) {
      // Reports go out in 5 % steps and never go backwards (a chain's later adapters start again at 0).
      const percent = Math.floor(Math.max(0, Math.min(1, ratio)) * 100);
      if (percent < reported + 5) return;
      reported = percent;
      reports.push(taskGroup(env, msg.client, msg.taskgroupId).reportProgress(msg.step, msg.token, percent).catch(() => undefined));
    },
  };
  return {
    ctx,
    settle: async () => {
      await Promise.all(reports);
    },
  };
}
