import { outputLink } from "../lib/signed-links";
import type { AdapterContext, NativeAccess } from "../adapters/types";
import { configOf, MB } from "../lib/config";
import { filesOf, r2Keys } from "../lib/files";
import { StepError } from "../lib/failures";
import { fault } from "../lib/faults";
import type { Engine } from "./engine";
import type { RunEnv, TargetOpener } from "./run-env";
import type { ClaimedStep, StepFile, StepMessage } from "../engine/types";

/**
 * The AdapterContext for one run of one step: R2 for files and assets, storage targets where the
 * Worker may open them, the engine for progress. `settle` waits for progress reports still in flight.
 */
export function stepContext(
  env: RunEnv,
  msg: StepMessage,
  claim: ClaimedStep,
  engine: Engine,
  targets?: TargetOpener,
  nativeEndpoint?: NativeAccess["endpoint"] | null,
): { ctx: AdapterContext; settle: () => Promise<void> } {
  const step = claim.spec.name;
  const files = filesOf(env, msg.client);
  const origin = claim.origin;
  const config = configOf(env);
  const reports: Promise<unknown>[] = [];
  let reported = -1;
  const ctx: AdapterContext = {
    client: msg.client,
    taskgroupId: msg.taskgroupId,
    step,
    startedMs: claim.startedMs,
    async read(file, range) {
      fault("r2:read", msg.client);
      const obj = await files.get(file.key, range);
      if (!obj) throw new StepError({ kind: "input_missing", fileName: file.file_name });
      return obj;
    },
    async asset(param, name) {
      const override = claim.overrideFiles[param];
      if (override) return override;
      const key = r2Keys.asset(msg.client, name);
      const head = await files.head(key);
      if (!head) throw new StepError({ kind: "asset_missing", param, name });
      return {
        key,
        file_name: name,
        content_type: head.httpMetadata?.contentType ?? "application/octet-stream",
        size: head.size,
      };
    },
    async write(fileName, body, contentType) {
      fault("r2:write", msg.client);
      const key = r2Keys.output(msg.client, msg.taskgroupId, step, fileName);
      const obj = await files.put(key, body, contentType);
      return { key, file_name: fileName, content_type: contentType, size: obj.size };
    },
    async output(fileName) {
      const key = r2Keys.output(msg.client, msg.taskgroupId, step, fileName);
      const head = await files.head(key);
      if (!head) throw new StepError({ kind: "native_failed", detail: `${fileName} was reported stored but is not` });
      return {
        key,
        file_name: fileName,
        content_type: head.httpMetadata?.contentType ?? "application/octet-stream",
        size: head.size,
      };
    },
    async storageTarget(name) {
      // Segments put every link that needs a target on the API Worker, the only one holding SECRETS_KEY.
      if (!targets) throw new Error("storage targets are opened only on the API Worker");
      return targets(msg.client, name);
    },
    outputUrl(file: StepFile) {
      return outputLink(origin, msg.client, msg.taskgroupId, claim.outputLinks, step, file.file_name);
    },
    // A Worker without a video limit (the image Worker) fits no video: 0.
    limits: {
      maxVideoMb: config.maxVideoMb ?? 0,
      maxVideoSeconds: config.maxVideoS ?? 0,
      maxFileMb: config.maxFileBytes / MB,
      maxNativeSeconds: config.maxNativeS ?? 0,
    },
    native: nativeEndpoint
      ? { endpoint: nativeEndpoint, grants: (keys) => engine.grants(msg, step, origin, keys) }
      : null,
    progress(ratio) {
      // Reports go out in 5 % steps and never go backwards (a chain's later adapters start again at 0).
      const percent = Math.floor(Math.max(0, Math.min(1, ratio)) * 100);
      if (percent < reported + 5) return;
      reported = percent;
      reports.push(engine.progress(msg, claim.run, percent).catch(() => undefined));
    },
  };
  return {
    ctx,
    settle: async () => {
      await Promise.all(reports);
    },
  };
}
