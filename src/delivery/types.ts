export type DeliveryState = "pending" | "succeeded" | "dead";

export interface DeliveryMessage {
  client: string;
  taskgroupId: string;
  deliveryId: string;
  /** Fences sends: absent only on messages queued before tokens existed. */
  token?: string;
}

/** One HTTP request to make, as the delivery consumer needs it. */
export interface PendingDelivery {
  id: string;
  /** Order of this message among the taskgroup's deliveries; sent as the `cascade-sequence` header. */
  seq: number;
  url: string;
  method: "POST" | "PUT" | "GET";
  /** Name/value pairs (arrays, as RPC carries them). */
  headers: string[][];
  body: string;
  attempt: number;
}

export interface AttemptRecord {
  /** A 2xx answer, or an email handed to the send_email binding. */
  ok: boolean;
  at: string;
  status: number | null;
  latency_ms: number;
  response: string;
  error: string | null;
  retry_after_s: number | null;
}
