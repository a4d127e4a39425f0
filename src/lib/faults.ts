/**
 * Fault injection for the engine's fault-tier tests: each external call inside a transition
 * (queue send, RPC, R2) and each point where the object could be reset names a point here.
 * Nothing arms a point outside tests, so in production `fault()` is one failed map lookup.
 */
const armed = new Map<string, number>();
const fired: string[] = [];

export class InjectedFault extends Error {
  constructor(readonly point: string) {
    super(`injected fault at ${point}`);
    this.name = "InjectedFault";
  }
}

/**
 * True once per arming of `point`, for every call or for one client's calls only (`scope`), so
 * tests running side by side each get their own fault. The caller then fails (or resets) there.
 */
export function takeFault(point: string, scope: string): boolean {
  for (const key of [`${point}|${scope}`, point]) {
    const left = armed.get(key);
    if (!left) continue;
    if (left === 1) armed.delete(key);
    else armed.set(key, left - 1);
    fired.push(key);
    return true;
  }
  return false;
}

/** Throws at `point` when a test armed it. */
export function fault(point: string, scope: string): void {
  if (takeFault(point, scope)) throw new InjectedFault(point);
}

export const faults = {
  arm(point: string, scope?: string, times = 1) {
    const key = scope ? `${point}|${scope}` : point;
    armed.set(key, (armed.get(key) ?? 0) + times);
  },
  /** Disarms everything and returns the points that fired since the last reset. */
  reset(): string[] {
    armed.clear();
    return fired.splice(0);
  },
  armed: () => [...armed.keys()],
};
