import type { StorageTarget } from "../engine/types";

/** What running a step needs of its Worker's bindings (the API, image or media Worker). */
export type RunEnv = Pick<Env, "FILES" | "MAX_FILE_MB" | "MAX_VIDEO_MB" | "MAX_VIDEO_SECONDS"> & {
  /** The native runtime's length limit: the media Worker's var (media/wrangler.toml). */
  MAX_NATIVE_SECONDS?: string;
};

/** Opens a client's storage target with its secrets: only the API Worker has one. */
export type TargetOpener = (client: string, name: string) => Promise<StorageTarget>;
