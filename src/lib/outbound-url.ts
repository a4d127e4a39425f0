import { badRequest } from "./errors";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * IPv4 ranges a deployed Worker must never be pointed at: "this network", private, CGNAT, loopback,
 * link-local (cloud metadata), IETF protocol assignments, benchmarking, multicast and reserved.
 */
const BLOCKED_V4: [number, number][] = [
  [0x00000000, 8],
  [0x0a000000, 8],
  [0x64400000, 10],
  [0x7f000000, 8],
  [0xa9fe0000, 16],
  [0xac100000, 12],
  [0xc0000000, 24],
  [0xc0a80000, 16],
  [0xc6120000, 15],
  [0xe0000000, 4],
  [0xf0000000, 4],
];

function ipv4(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.some((p) => p > 255)
    ? null
    : ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

const blockedV4 = (v4: number) => BLOCKED_V4.some(([net, bits]) => v4 >>> (32 - bits) === net >>> (32 - bits));

/** The eight 16-bit groups of an IPv6 literal as URL() writes it (hex, `::` compressed, no embedded dotted quad). */
function ipv6Groups(host: string): number[] | null {
  if (!/^[0-9a-f:]+$/.test(host)) return null;
  const halves = host.split("::");
  if (halves.length > 2) return null;
  const side = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const head = side(halves[0]!);
  const tail = halves.length === 2 ? side(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0) || [...head, ...tail].some((g) => !(g >= 0 && g <= 0xffff)))
    return null;
  return [...head, ...Array<number>(fill).fill(0), ...tail];
}

/**
 * Private for IPv6: loopback, unspecified, unique-local, link- and site-local, multicast, Teredo, and
 * every form that carries an IPv4 address (compatible, mapped, NAT64, 6to4) when that address is private.
 */
function blockedV6(g: number[]): boolean {
  const v4At = (i: number) => ((g[i]! << 16) | g[i + 1]!) >>> 0;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 6)) return g[6] === 0 && g[7]! <= 1 ? true : blockedV4(v4At(6)); // ::, ::1, ::a.b.c.d
  if (zeros(0, 5) && g[5] === 0xffff) return blockedV4(v4At(6)); // ::ffff:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b) return g[2] !== 0 || blockedV4(v4At(6)); // NAT64; 64:ff9b:1::/48 is local-use
  if (g[0] === 0x2002) return blockedV4(v4At(1)); // 6to4
  if (g[0] === 0x2001 && g[1] === 0) return true; // Teredo hides its IPv4 address
  return (
    (g[0]! & 0xfe00) === 0xfc00 ||
    (g[0]! & 0xffc0) === 0xfe80 ||
    (g[0]! & 0xffc0) === 0xfec0 ||
    (g[0]! & 0xff00) === 0xff00
  );
}

/** True for localhost names and for IP literals in any range a deployed Worker must not call (v4, v6 and v4 inside v6). */
export function isPrivateHost(hostname: string): boolean {
  // A trailing dot names the same host: `localhost.` is localhost.
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = ipv4(host);
  if (v4 !== null) return blockedV4(v4);
  if (!host.includes(":")) return false;
  const v6 = ipv6Groups(host);
  // An address we cannot read is not one we call.
  return v6 === null || blockedV6(v6);
}

/**
 * Why Cascade will not call this URL, or null if it will. Allowed: https to a public host; in local
 * development also http, and only then to this machine.
 */
export function outboundProblem(url: URL, dev: boolean): string | null {
  if (dev) {
    if (url.protocol === "https:" || (url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname))) return null;
    return "must be an https URL (http is allowed only to localhost in local development)";
  }
  if (url.protocol !== "https:") return "must be an https URL";
  if (isPrivateHost(url.hostname))
    return "points at a private, loopback or link-local address, which Cascade will not call";
  return null;
}

/** URLs Cascade will call (webhooks, callbacks, storage) or fetch (inputs), checked when they are given. */
export function checkOutboundUrl(value: unknown, field: string, dev: boolean): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw badRequest("invalid_url", `${field} is not a valid URL.`);
  }
  const problem = outboundProblem(url, dev);
  if (problem) throw badRequest("invalid_url", `${field} ${problem}.`);
  return url.toString();
}
