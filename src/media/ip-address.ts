/**
 * Which IP addresses an image fetch may connect to: only publicly routable unicast ones, so an
 * article's image URL cannot reach the cloud metadata service, the Redis next door or the
 * newsroom's intranet (server-side request forgery).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An IPv4 block as [first octets..., prefix length]. */
type Ipv4Block = readonly [a: number, b: number, c: number, d: number, prefix: number];

// IANA special-purpose registry entries that are not globally reachable, plus multicast.
const NON_PUBLIC_IPV4: readonly Ipv4Block[] = [
  [0, 0, 0, 0, 8], // "this network"
  [10, 0, 0, 0, 8], // private
  [100, 64, 0, 0, 10], // carrier-grade NAT
  [127, 0, 0, 0, 8], // loopback
  [169, 254, 0, 0, 16], // link-local, including 169.254.169.254 (cloud metadata)
  [172, 16, 0, 0, 12], // private
  [192, 0, 0, 0, 24], // IETF protocol assignments
  [192, 0, 2, 0, 24], // documentation
  [192, 88, 99, 0, 24], // deprecated 6to4 relay anycast
  [192, 168, 0, 0, 16], // private
  [198, 18, 0, 0, 15], // benchmarking
  [198, 51, 100, 0, 24], // documentation
  [203, 0, 113, 0, 24], // documentation
  [224, 0, 0, 0, 4], // multicast
  [240, 0, 0, 0, 4], // reserved, including 255.255.255.255
];

/**
 * Whether `address` (an IPv4 or IPv6 literal, IPv6 without brackets, zone ids allowed) is a
 * public unicast address. IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4
 * (`2002::/16`) forms are judged by the IPv4 address they carry. Anything that is not an IP
 * literal is not public.
 */
export function isPublicAddress(address: string): boolean {
  const ipv4 = parseIpv4(address);
  if (ipv4) return isPublicIpv4(ipv4);
  const ipv6 = parseIpv6(address);
  return ipv6 ? isPublicIpv6(ipv6) : false;
}

/** Whether `host` is an IP literal (IPv6 with or without brackets) rather than a name. */
export function isIpLiteral(host: string): boolean {
  return parseIpv4(host) !== null || parseIpv6(unbracket(host)) !== null;
}

/** `[::1]` → `::1`; anything else unchanged. URL.hostname keeps the brackets, sockets do not. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function isPublicIpv4(bytes: readonly number[]): boolean {
  return !NON_PUBLIC_IPV4.some((block) => inIpv4Block(bytes, block));
}

function inIpv4Block(bytes: readonly number[], [a, b, c, d, prefix]: Ipv4Block): boolean {
  return prefixMatches(bytes, [a, b, c, d], prefix);
}

function isPublicIpv6(bytes: readonly number[]): boolean {
  const embedded = (from: number): number[] => bytes.slice(from, from + 4);
  // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64) reach the IPv4 address they carry.
  if (prefixMatches(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96)) return isPublicIpv4(embedded(12));
  if (prefixMatches(bytes, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return isPublicIpv4(embedded(12));
  // Only global unicast (2000::/3) is public; this rules out ::, ::1, fc00::/7, fe80::/10,
  // fec0::/10, ff00::/8, 100::/64, 64:ff9b:1::/48 and the deprecated IPv4-compatible ::/96.
  if (!prefixMatches(bytes, [0x20], 3)) return false;
  if (prefixMatches(bytes, [0x20, 0x02], 16)) return isPublicIpv4(embedded(2)); // 6to4
  if (prefixMatches(bytes, [0x20, 0x01, 0x00], 23)) return false; // IETF assignments: Teredo, ORCHID, benchmarking
  if (prefixMatches(bytes, [0x20, 0x01, 0x0d, 0xb8], 32)) return false; // documentation
  if (prefixMatches(bytes, [0x3f, 0xff, 0x00], 20)) return false; // documentation (RFC 9637)
  return true;
}

/** Whether the first `prefix` bits of `bytes` equal those of `network`. */
function prefixMatches(bytes: readonly number[], network: readonly number[], prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit += 8) {
    const remaining = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - remaining)) & 0xff;
    const index = bit / 8;
    if (((bytes[index] ?? 0) & mask) !== ((network[index] ?? 0) & mask)) return false;
  }
  return true;
}

function parseIpv4(text: string): number[] | null {
  if (!isIPv4(text)) return null;
  return text.split('.').map(Number);
}

/** The 16 bytes of an IPv6 literal (zone id ignored), or null. */
function parseIpv6(text: string): number[] | null {
  let address = text.split('%')[0] ?? '';
  if (!isIPv6(address)) return null;
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = address.lastIndexOf(':');
  const tail = parseIpv4(address.slice(lastColon + 1));
  if (tail) {
    const [a = 0, b = 0, c = 0, d = 0] = tail;
    address = `${address.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left = '', right] = address.split('::');
  const head = left === '' ? [] : left.split(':');
  const rest = right === undefined || right === '' ? [] : right.split(':');
  const groups = right === undefined ? head : [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  if (groups.length !== 8) return null;
  return groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}
