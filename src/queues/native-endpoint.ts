/**
 * Where the media Worker finds the native media server: one small interface for both places it
 * lives. Deployed: a Cloudflare Container (the NativeMedia class, a Durable Object owning one
 * instance), one instance per step so a retried step finds its own and one job runs per instance.
 * In development: the local process `npm run dev` starts, at NATIVE_URL (wrangler dev cannot run
 * containers on these machines).
 */
import { Container, getContainer } from "@cloudflare/containers";
import type { StepMessage } from "../engine/types";
import { configOf } from "../lib/config";
import type { NativeEndpoints } from "./steps";

/** The container of the native media server (native/Dockerfile, `[[containers]]` in media/wrangler.toml). */
export class NativeMedia extends Container {
  override defaultPort = 8080;
  // A finished step's instance stays warm a little for the next video step, then stops billing.
  override sleepAfter = "5m";
}

/**
 * The container binding (media/wrangler.toml; absent where the Worker runs without it, as in the test
 * pool), or NATIVE_URL: a development-only var `npm run dev` adds (scripts/dev.mjs), so not in MediaEnv.
 */
type NativeEnv = Pick<MediaEnv, "NATIVE"> & { NATIVE_URL?: string };

export function nativeEndpoints(env: NativeEnv): NativeEndpoints {
  const { nativeUrl } = configOf(env);
  return (msg: StepMessage) => {
    if (nativeUrl) {
      const base = nativeUrl;
      return { fetch: (req) => fetch(new Request(new URL(new URL(req.url).pathname, base), req)) };
    }
    if (!env.NATIVE) return null;
    const stub = getContainer(env.NATIVE, `${msg.client}/${msg.taskgroupId}/${msg.step}`);
    return { fetch: (req) => stub.fetch(req) };
  };
}
