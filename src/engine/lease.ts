/**
 * Who may run a held thing (a step's run, a delivery's send): one rule for both. A queue message whose
 * invocation holds it and comes again with a higher delivery count means that invocation died (the
 * queue redelivered it); a lease past its end means the holder vanished. Either way another may take
 * over; otherwise the holder is alive and the newcomer is a duplicate.
 */
export interface Lease {
  /** The queue message (or handed-over send) holding it; null when nobody does. */
  holder: string | null;
  /** The holder message's delivery count when it claimed. */
  holderTry: number | null;
  /** When the lease ends (epoch ms); null: no end recorded, taken as ended. */
  until: number | null;
}

export type LeaseDecision = "free" | "busy" | "take_over";

export function decideLease(lease: Lease, messageId: string, delivery: number, now: number): LeaseDecision {
  if (lease.holder === null) return "free";
  const redelivered = lease.holder === messageId && delivery > (lease.holderTry ?? 0);
  if (redelivered || lease.until === null || lease.until <= now) return "take_over";
  return "busy";
}
