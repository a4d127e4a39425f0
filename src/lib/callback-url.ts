import { badRequest } from "./errors";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * URLs Cascade will call (webhooks) or fetch (inputs): https, or plain http to
 * this machine only in local development.
 */
export function checkOutboundUrl(value: unknown, field: string, dev: boolean): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw badRequest("invalid_url", `${field} is not a valid URL.`);
  }
  const local = LOCAL_HOSTS.has(url.hostname);
  if (url.protocol === "https:" && (dev || !local)) return url.toString();
  if (url.protocol === "http:" && dev && local) return url.toString();
  throw badRequest(
    "invalid_url",
    dev
      ? `${field} must be an https URL (http is allowed only to localhost in local development).`
      : `${field} must be an https URL to a public host.`,
  );
}
