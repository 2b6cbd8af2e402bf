import { z } from 'zod';
import { ConfigError, bool, durationMs, list, loadConfig, metricsFields, pem, port, requireMetricsAccess, secret, trustProxy, url } from './index';

const PEM = '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----';

const schema = z.object({
  PORT: port().default(3000),
  DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }).optional(),
  STRIPE_WEBHOOK_SECRET: list().pipe(z.array(z.string()).min(1)),
  ADMIN_TOKEN: secret(),
  RATE_LIMIT_ENABLED: bool().default(true),
  PUBLISH_TIMEOUT_MS: durationMs().default(5000),
  WIX_PUBLIC_KEY: pem(),
});

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('parses every helper type and applies defaults', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgres://localhost/orders',
      STRIPE_WEBHOOK_SECRET: 'whsec_old, whsec_new,,',
      ADMIN_TOKEN: 't0ken',
      PUBLISH_TIMEOUT_MS: '30s',
      WIX_PUBLIC_KEY: PEM.replace(/\n/g, '\\n'),
      UNRELATED: 'ignored',
    });
    expect(config).toEqual({
      PORT: 3000,
      DATABASE_URL: 'postgres://localhost/orders',
      STRIPE_WEBHOOK_SECRET: ['whsec_old', 'whsec_new'],
      ADMIN_TOKEN: 't0ken',
      RATE_LIMIT_ENABLED: true,
      PUBLISH_TIMEOUT_MS: 30_000,
      WIX_PUBLIC_KEY: PEM,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad variable and why in one error, without printing any value', () => {
    const err = errorOf(() =>
      loadConfig(schema, {
        PORT: '70000',
        DATABASE_URL: 'mysql://user:hunter2@db/orders',
        STRIPE_WEBHOOK_SECRET: 'whsec_supersecret',
        ADMIN_TOKEN: '',
        RATE_LIMIT_ENABLED: 'yes',
        PUBLISH_TIMEOUT_MS: 'soon',
        WIX_PUBLIC_KEY: 'not-a-pem-private-material',
      }),
    );
    expect(err.issues.map((issue) => issue.variable).sort()).toEqual(
      ['ADMIN_TOKEN', 'DATABASE_URL', 'PORT', 'PUBLISH_TIMEOUT_MS', 'RATE_LIMIT_ENABLED', 'WIX_PUBLIC_KEY'].sort(),
    );
    expect(err.message).toMatch(/PORT: must be an integer from 0 to 65535/);
    expect(err.message).toMatch(/DATABASE_URL: must be a URL with protocol postgres or postgresql/);
    expect(err.message).toMatch(/ADMIN_TOKEN: is required but not set/);
    expect(err.message).toMatch(/RATE_LIMIT_ENABLED: must be 'true' or 'false'/);
    for (const value of ['70000', 'hunter2', 'whsec_supersecret', 'yes', 'soon', 'not-a-pem-private-material']) {
      expect(err.message).not.toContain(value);
    }
    expect(err.retriable).toBe(false);
  });

  it('reports a missing required variable as not set', () => {
    const err = errorOf(() => loadConfig(z.object({ ADMIN_TOKEN: secret() }), {}));
    expect(err.issues).toEqual([{ variable: 'ADMIN_TOKEN', reason: 'is required but not set' }]);
  });

  it('refuses a schema that gives a secret a default', () => {
    const err = errorOf(() =>
      loadConfig(z.object({ ADMIN_TOKEN: secret().default('changeme'), OTHER: secret().optional() }), {}),
    );
    expect(err.issues).toEqual([{ variable: 'ADMIN_TOKEN', reason: 'is a secret and must not have a default' }]);
  });

  it('reads process.env by default', () => {
    const name = `ORDERFLOW_TEST_PORT_${process.pid}`;
    process.env[name] = '8080';
    try {
      expect(loadConfig(z.object({ [name]: port() }))[name]).toBe(8080);
    } finally {
      delete process.env[name];
    }
  });
});

describe('value types', () => {
  const one = (type: z.ZodType, raw: string): unknown => (loadConfig(z.object({ V: type }), { V: raw }) as { V: unknown }).V;

  it('accepts ports 0 to 65535 only as whole numbers', () => {
    expect(one(port(), '0')).toBe(0);
    expect(one(port(), '65535')).toBe(65535);
    for (const bad of ['-1', '65536', '80.5', '0x50', 'http']) expect(() => one(port(), bad)).toThrow(ConfigError);
  });

  it('accepts only exact booleans', () => {
    expect(one(bool(), 'false')).toBe(false);
    for (const bad of ['TRUE', '1', 'no']) expect(() => one(bool(), bad)).toThrow(ConfigError);
  });

  it('reads durations with and without units', () => {
    expect(one(durationMs(), '250')).toBe(250);
    expect(one(durationMs(), '250ms')).toBe(250);
    expect(one(durationMs(), '2m')).toBe(120_000);
    expect(one(durationMs(), '1h')).toBe(3_600_000);
    expect(() => one(durationMs(), '-5s')).toThrow(ConfigError);
  });

  it('reads which proxies are trusted, and never trusts every peer', () => {
    expect(one(trustProxy(), 'false')).toBe(false);
    expect(one(trustProxy(), '2')).toBe(2);
    expect(one(trustProxy(), 'loopback, 10.0.0.0/8,::1')).toEqual(['loopback', '10.0.0.0/8', '::1']);
    for (const bad of ['true', '10.0.0.0/33', 'proxy.local', '10.0.0.1/8/2', '']) expect(() => one(trustProxy(), bad)).toThrow(ConfigError);
  });

  it('accepts any absolute URL when no protocol is required', () => {
    expect(one(url(), 'redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(() => one(url(), '/relative')).toThrow(/V: must be an absolute URL/);
  });
});

describe('metrics access', () => {
  const schema = z.object({ ...metricsFields() }).superRefine(requireMetricsAccess);

  it('takes a scrape token, or METRICS_PUBLIC=true to serve /metrics without one', () => {
    expect(loadConfig(schema, { METRICS_TOKEN: 'scrape-token-0123456789' })).toEqual({ METRICS_TOKEN: 'scrape-token-0123456789', METRICS_PUBLIC: false });
    expect(loadConfig(schema, { METRICS_PUBLIC: 'true' })).toEqual({ METRICS_PUBLIC: true });
  });

  it('refuses neither (an empty METRICS_TOKEN counts as unset), both, and a short token, without printing it', () => {
    for (const env of [{}, { METRICS_TOKEN: '' }, { METRICS_PUBLIC: 'false' }]) {
      expect(errorOf(() => loadConfig(schema, env)).issues).toEqual([{ variable: 'METRICS_TOKEN', reason: expect.stringMatching(/^is required .* unless METRICS_PUBLIC=true/) }]);
    }
    expect(errorOf(() => loadConfig(schema, { METRICS_TOKEN: 'scrape-token-0123456789', METRICS_PUBLIC: 'true' })).issues).toEqual([
      { variable: 'METRICS_PUBLIC', reason: 'must not be true when METRICS_TOKEN is set: choose one' },
    ]);
    const short = errorOf(() => loadConfig(schema, { METRICS_TOKEN: 'short-s3cret' }));
    expect(short.issues).toEqual([{ variable: 'METRICS_TOKEN', reason: 'must be at least 16 characters' }]);
    expect(short.message).not.toContain('short-s3cret');
  });
});
