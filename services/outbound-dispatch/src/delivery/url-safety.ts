import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** Addresses no partner endpoint may resolve to: this host, private networks, cloud metadata. */
// IPv4-mapped IPv6 (::ffff:0:0/96) is not listed: BlockList matches IPv4 addresses against
// IPv6 rules as mapped addresses, so that rule would block every IPv4 address. Mapped
// addresses are unwrapped and judged as IPv4 in isGlobalAddress instead.
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
    ['::', 128],
    ['::1', 128],
    ['64:ff9b::', 96],
    ['100::', 64],
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
  // An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return !BLOCKED.check(mapped[1], 'ipv4');
  return !BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
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
