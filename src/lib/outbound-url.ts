import { badRequest } from "./errors";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** IPv4 ranges a deployed Worker must never be pointed at: private, loopback, link-local (cloud metadata), CGNAT, "this network". */
const BLOCKED_V4: [number, number][] = [
  [0x00000000, 8], [0x0a000000, 8], [0x64400000, 10], [0x7f000000, 8], [0xa9fe0000, 16], [0xac100000, 12], [0xc0a80000, 16],
];

function ipv4(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.some((p) => p > 255) ? null : ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** True for IP literals in private, loopback, link-local or metadata ranges (v4, v6 and v4-mapped v6), and localhost names. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = ipv4(host);
  if (v4 !== null) return BLOCKED_V4.some(([net, bits]) => (v4 >>> (32 - bits)) === (net >>> (32 - bits)));
  if (!host.includes(":")) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (mapped) return isPrivateHost(mapped[1]!);
  // URL() normalises v4-mapped addresses to hex: ::ffff:7f00:1
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (hexMapped) {
    const n = (parseInt(hexMapped[1]!, 16) << 16) | parseInt(hexMapped[2]!, 16);
    return isPrivateHost([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."));
  }
  return host === "::1" || host === "::" || /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
}

/**
 * URLs Cascade will call (webhooks, callbacks) or fetch (inputs): https to a public host;
 * in local development also http, and only then to this machine.
 */
export function checkOutboundUrl(value: unknown, field: string, dev: boolean): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw badRequest("invalid_url", `${field} is not a valid URL.`);
  }
  const local = LOCAL_HOSTS.has(url.hostname);
  if (dev) {
    if (url.protocol === "https:" || (url.protocol === "http:" && local)) return url.toString();
    throw badRequest("invalid_url", `${field} must be an https URL (http is allowed only to localhost in local development).`);
  }
  if (url.protocol !== "https:") throw badRequest("invalid_url", `${field} must be an https URL.`);
  if (isPrivateHost(url.hostname)) throw badRequest("invalid_url", `${field} points at a private, loopback or link-local address, which Cascade will not call.`);
  return url.toString();
}
