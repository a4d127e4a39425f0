import type { AdapterContext, StepFile } from "../adapters/types";
import type { ClaimedStep, StepMessage } from "../durable/taskgroup-model";
import { r2Keys } from "../durable/taskgroup-model";
import { StepError } from "../lib/failures";
import { openTarget, type SealedTarget } from "../lib/storage-targets";
import { clientStore } from "../lib/stubs";

type ContextEnv = Pick<Env, "FILES" | "CLIENTS" | "SECRETS_KEY">;

/** The AdapterContext for one run of one step: R2 for files, the client's store for assets and targets. */
export function stepContext(env: ContextEnv, msg: StepMessage, claim: ClaimedStep, origin: string): AdapterContext {
  const step = claim.spec.name;
  return {
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
  };
}
