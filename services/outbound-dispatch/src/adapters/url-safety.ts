import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses no partner endpoint may resolve to: this host, private networks, cloud metadata, and
 * every IPv6 range that carries or reaches an IPv4 address some other way (judged in
 * `isGlobalAddress`, which reads the IPv4 address out where one is embedded).
 */
function nonGlobalAddresses(): BlockList {
  const list = new BlockList();
  for (const [net, bits] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    list.addSubnet(net, bits, 'ipv4');
  }
  for (const [net, bits] of [
    // IPv4-compatible (deprecated; `::` and `::1` among them): a stack may route it as IPv4.
    ['::', 96],
    // NAT64, well-known and local-use prefixes: a translator turns them into any IPv4 address.
    ['64:ff9b::', 96],
    ['64:ff9b:1::', 48],
    ['100::', 64],
    // Teredo: a tunnel to an IPv4 host (its address obfuscated in the last 32 bits).
    ['2001::', 32],
    ['2001:db8::', 32],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const) {
    list.addSubnet(net, bits, 'ipv6');
  }
  return list;
}

const BLOCKED = nonGlobalAddresses();

/** Why a partner URL or address is refused; a refused delivery fails without being sent. */
export class UnsafeDestinationError extends Error {
  override readonly name = 'UnsafeDestinationError';
}

export function isGlobalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return !BLOCKED.check(address, 'ipv4');
  const bytes = ipv6Bytes(address);
  // IPv4-mapped (::ffff:0:0/96) and 6to4 (2002::/16) reach the IPv4 address they carry: judged
  // as that address. (A BlockList rule for ::ffff:0:0/96 would also match every IPv4 address.)
  const carried = isMapped(bytes) ? bytes.subarray(12, 16) : bytes[0] === 0x20 && bytes[1] === 0x02 ? bytes.subarray(2, 6) : undefined;
  if (carried) return !BLOCKED.check(carried.join('.'), 'ipv4');
  return !BLOCKED.check(address, 'ipv6');
}

const isMapped = (bytes: Uint8Array): boolean => bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;

/** The 16 bytes of a valid IPv6 address (`isIP` said 6), in any of its written forms. */
function ipv6Bytes(address: string): Uint8Array {
  const text = address.replace(/%.*$/, ''); // a zone (fe80::1%eth0) is not part of the address
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (group.includes('.')) {
        const [a, b, c, d] = group.split('.').map(Number);
        out.push((a! << 8) | b!, (c! << 8) | d!);
      } else {
        out.push(parseInt(group, 16));
      }
    }
    return out;
  };
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const before = groups(head!);
  const after = tail === undefined ? [] : groups(tail);
  const words = [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/**
 * Where partner webhooks may go. https only, to addresses on the public internet, checked when
 * the connection is made (after DNS, so a name that resolves to 169.254.169.254 or 10.0.0.1 is
 * refused, as is a rebinding that changes the answer between check and connect). Hosts in
 * `OUTBOUND_ALLOWED_HOSTS` (`host` or `host:port`) may use http and any address: for
 * development and tests.
 */
export class OutboundPolicy {
  private readonly allowed: Set<string>;

  constructor(allowedHosts: readonly string[]) {
    this.allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  }

  isAllowedHost(url: URL): boolean {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return this.allowed.has(host) || this.allowed.has(`${host}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`);
  }

  /** Refuses what can be refused before connecting: the scheme, credentials, literal addresses. */
  check(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UnsafeDestinationError('not an absolute URL');
    }
    const allowed = this.isAllowedHost(url);
    if (url.protocol !== 'https:' && !(allowed && url.protocol === 'http:')) throw new UnsafeDestinationError('partner URLs must use https');
    if (url.username || url.password) throw new UnsafeDestinationError('partner URLs must not carry credentials');
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!allowed && isIP(literal) !== 0 && !isGlobalAddress(literal)) throw new UnsafeDestinationError(`${literal} is not a public address`);
    return url;
  }

  /** A `lookup` for sockets to `url`: resolves, then refuses any non-public answer. */
  lookupFor(url: URL): typeof dnsLookup {
    const allowed = this.isAllowedHost(url);
    const lookup = (hostname: string, options: unknown, callback: (...args: unknown[]) => void): void => {
      dnsLookup(hostname, { ...(options as object), all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err);
        const refused = allowed ? undefined : addresses.find((a) => !isGlobalAddress(a.address));
        if (refused) return callback(new UnsafeDestinationError(`${hostname} resolves to ${refused.address}, which is not a public address`));
        if ((options as { all?: boolean }).all) return callback(null, addresses);
        return callback(null, addresses[0].address, addresses[0].family);
      });
    };
    return lookup as unknown as typeof dnsLookup;
  }
}
