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

/** True once per arming of `point`: the caller then fails (or resets) there. */
export function takeFault(point: string): boolean {
  const left = armed.get(point);
  if (!left) return false;
  if (left === 1) armed.delete(point);
  else armed.set(point, left - 1);
  fired.push(point);
  return true;
}

/** Throws at `point` when a test armed it. */
export function fault(point: string): void {
  if (takeFault(point)) throw new InjectedFault(point);
}

export const faults = {
  arm(point: string, times = 1) {
    armed.set(point, (armed.get(point) ?? 0) + times);
  },
  /** Disarms everything and returns the points that fired since the last reset. */
  reset(): string[] {
    armed.clear();
    return fired.splice(0);
  },
  armed: () => [...armed.keys()],
};
