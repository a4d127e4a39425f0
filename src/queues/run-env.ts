import type { StorageTarget } from "../engine/types";

/**
 * What a step runner needs, on the API Worker and the heavy Workers alike: R2 and the file limit; the
 * video limits where the Worker has them (the API and media Workers; the native one on the media Worker).
 */
export type RunEnv = Pick<ImageEnv, "FILES" | "MAX_FILE_MB"> &
  Partial<Pick<MediaEnv, "MAX_VIDEO_MB" | "MAX_VIDEO_SECONDS" | "MAX_NATIVE_SECONDS">>;

/** Opens a client's storage target with its secrets: only the API Worker has one. */
export type TargetOpener = (client: string, name: string) => Promise<StorageTarget>;
