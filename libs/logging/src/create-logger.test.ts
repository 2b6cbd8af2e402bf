import { Writable } from 'node:stream';
import { createLogger, REDACTED, redactSecrets } from './index';

/** A destination that keeps each JSON line, parsed. */
function capture(): { lines: Array<Record<string, unknown>>; raw: string[]; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, raw, stream };
}

describe('createLogger', () => {
  it('writes JSON lines with the name and honours the level', () => {
    const out = capture();
    const logger = createLogger({ name: 'ingress', level: 'warn', destination: out.stream });
    logger.info('hidden');
    logger.warn({ orderId: 'o-1' }, 'shown');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatchObject({ name: 'ingress', msg: 'shown', orderId: 'o-1', level: 40 });
  });

  it('redacts secret headers and secret-named fields at any depth', () => {
    const out = capture();
    const logger = createLogger({ name: 'ingress', destination: out.stream });
    const logged = {
      req: {
        headers: {
          authorization: 'Bearer s3cr3t-1',
          cookie: 'session=s3cr3t-2',
          'stripe-signature': 't=1,v1=s3cr3t-3',
          'content-type': 'application/json',
        },
      },
      partner: { credentials: [{ apiKey: 's3cr3t-4', api_key: 's3cr3t-5', 'x-api-key': 's3cr3t-6' }] },
      config: { STRIPE_WEBHOOK_SECRET: 's3cr3t-7', password: 's3cr3t-8', clientSecret: 's3cr3t-9', privateKey: 's3cr3t-10' },
      accessToken: 's3cr3t-11',
      orderId: 'o-1',
    };
    logger.info(logged, 'webhook');
    const line = out.raw.join('\n');
    expect(line).not.toContain('s3cr3t');
    expect(out.lines[0]).toMatchObject({
      orderId: 'o-1',
      accessToken: REDACTED,
      req: { headers: { authorization: REDACTED, 'stripe-signature': REDACTED, 'content-type': 'application/json' } },
      partner: { credentials: [{ apiKey: REDACTED, api_key: REDACTED, 'x-api-key': REDACTED }] },
    });
    // The caller's object is left as it was.
    expect(logged.req.headers.authorization).toBe('Bearer s3cr3t-1');
  });

  it('redacts secrets carried on errors while keeping message and stack', () => {
    const out = capture();
    const logger = createLogger({ name: 'dispatch', destination: out.stream });
    const err = Object.assign(new Error('partner refused'), { config: { headers: { Authorization: 'Bearer partner-12' } } });
    logger.error({ err }, 'send failed');
    expect(out.raw[0]).not.toContain('partner-12');
    expect(out.lines[0]).toMatchObject({
      msg: 'send failed',
      err: { type: 'Error', message: 'partner refused', config: { headers: { Authorization: REDACTED } } },
    });
    expect((out.lines[0].err as { stack: string }).stack).toContain('partner refused');
    logger.error(new TypeError('bare error'));
    expect(out.lines[1]).toMatchObject({ msg: 'bare error', err: { type: 'TypeError', message: 'bare error' } });
  });

  it('binds request and event IDs on children, redacting secret bindings', () => {
    const out = capture();
    const logger = createLogger({ name: 'order', destination: out.stream });
    const request = logger.child({ requestId: 'req-1' });
    request.child({ eventId: 'evt-1', token: 'tok-13' }).info('handled');
    request.info('done');
    expect(out.lines[0]).toMatchObject({ name: 'order', requestId: 'req-1', eventId: 'evt-1', token: REDACTED });
    expect(out.lines[1]).toMatchObject({ requestId: 'req-1' });
    expect(out.lines[1]).not.toHaveProperty('eventId');
    expect(out.raw.join('')).not.toContain('tok-13');
  });
});

describe('redactSecrets', () => {
  it('survives cycles and keeps shared references', () => {
    const shared = { id: 's' };
    const cyclic: Record<string, unknown> = { a: shared, b: shared, secret: 'x' };
    cyclic.self = cyclic;
    expect(redactSecrets(cyclic)).toEqual({ a: { id: 's' }, b: { id: 's' }, secret: REDACTED, self: '[Circular]' });
  });
});
