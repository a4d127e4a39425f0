/**
 * Calls `fn` up to `tries` times, waiting `delayMs`, then twice that, between tries. Only for calls
 * that are safe to repeat (the engine's RPCs are fenced by token and run, so a repeat is a no-op).
 */
export async function withRetries<T>(
  fn: () => Promise<T>,
  tries = 3,
  delayMs = 200,
  when: (err: unknown) => boolean = () => true,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries || !when(err)) throw err;
      await new Promise((r) => setTimeout(r, delayMs * 2 ** (i - 1)));
    }
  }
}

/**
 * The runtime marks a Durable Object call that failed because the object was reset (a deploy, an
 * eviction) or overloaded as safe to repeat.
 */
export function isTransient(err: unknown): boolean {
  const e = err as { retryable?: boolean; overloaded?: boolean } | null;
  return e?.retryable === true || e?.overloaded === true;
}
