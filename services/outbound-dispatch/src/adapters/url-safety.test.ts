import { isGlobalAddress, OutboundPolicy, UnsafeDestinationError } from './url-safety';

describe('isGlobalAddress', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1'])(
    'refuses %s',
    (address) => expect(isGlobalAddress(address)).toBe(false),
  );

  // IPv6 written to reach IPv4 private or loopback space (issue 21): IPv4-compatible, IPv4-mapped
  // in hex, 6to4, NAT64 (well-known and local-use), Teredo.
  it.each(['::7f00:1', '::127.0.0.1', '::a00:1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '0:0:0:0:0:ffff:127.0.0.1', '2002:7f00:1::1', '2002:a00:1::', '2002:a9fe:a9fe::1', '64:ff9b::7f00:1', '64:ff9b:1::a00:1', '2001:0:4136:e378:8000:63bf:80ff:fffe', '::', 'fe80::1%eth0'])(
    'refuses %s',
    (address) => expect(isGlobalAddress(address)).toBe(false),
  );

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '::ffff:808:808', '2002:808:808::1', '2a00:1450:4001:80b::200e'])('accepts %s', (address) =>
    expect(isGlobalAddress(address)).toBe(true),
  );
});

describe('OutboundPolicy', () => {
  const policy = new OutboundPolicy(['127.0.0.1', 'partner.test:8080']);

  it('wants https, except for allowed hosts', () => {
    expect(() => policy.check('http://example.com/')).toThrow(UnsafeDestinationError);
    expect(policy.check('https://example.com/hook').hostname).toBe('example.com');
    expect(policy.check('http://127.0.0.1:9999/hook').port).toBe('9999');
    expect(policy.check('http://partner.test:8080/').hostname).toBe('partner.test');
    expect(() => policy.check('http://partner.test:8081/')).toThrow(UnsafeDestinationError);
  });

  it('refuses literal private addresses, credentials and junk before any connection', () => {
    for (const url of ['https://10.0.0.1/', 'https://[fd00::1]/', 'https://[::7f00:1]/', 'https://[::127.0.0.1]/', 'https://[2002:7f00:1::1]/', 'https://[::ffff:7f00:1]:8443/', 'https://a:b@example.com/', 'not a url', 'ftp://example.com/']) {
      expect(() => policy.check(url)).toThrow(UnsafeDestinationError);
    }
  });

  it('refuses loopback however the URL writes it when no host is allowed', () => {
    const strict = new OutboundPolicy([]);
    for (const url of ['https://127.0.0.1/', 'https://0x7f.1/', 'https://2130706433/', 'https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://[::ffff:7f00:1]/', 'https://[::7f00:1]/']) {
      expect(() => strict.check(url)).toThrow(UnsafeDestinationError);
    }
  });
});
