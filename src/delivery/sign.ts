import { Webhook } from "standardwebhooks";
import type { SigningSecrets } from "../engine/types";

/**
 * Standard Webhooks headers for one attempt. During a secret rotation both
 * signatures go out, space-separated, so receivers on either secret verify.
 */
export function signatureHeaders(
  secrets: SigningSecrets,
  msgId: string,
  body: string,
  at = new Date(),
): Record<string, string> {
  const keys = activeSecrets(secrets);
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": keys.map((k) => new Webhook(k).sign(msgId, at, body)).join(" "),
  };
}

/** The secrets that sign now: the current one, and the rotated-out one during its overlap. */
export const activeSecrets = (s: SigningSecrets): string[] => (s.previous ? [s.current, s.previous] : [s.current]);
