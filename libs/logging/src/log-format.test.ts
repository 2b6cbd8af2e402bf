import { Writable } from 'node:stream';
import { chooseLogFormat, createLogger, REDACTED } from './index';

/** A destination that keeps each line as written. */
function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('chooseLogFormat', () => {
  it('writes readable lines to a terminal and JSON lines anywhere else, unless LOG_FORMAT says which', () => {
    expect(chooseLogFormat(undefined, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, false)).toBe('json');
    expect(chooseLogFormat(undefined, undefined)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });
});

describe('createLogger in pretty format', () => {
  it('writes one readable line per entry: time, level, who spoke, the message and its fields', () => {
    const out = capture();
    const logger = createLogger({ name: 'orderflow', destination: out.stream, format: 'pretty', colors: false }).child({ service: 'order' });
    logger.info({ orderId: 'ord_1' }, 'order approved');
    createLogger({ name: 'ingress', destination: out.stream, format: 'pretty', colors: false }).warn('slow answer');
    expect(out.lines).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: order \| order approved \{"orderId":"ord_1"\}$/),
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: ingress \| slow answer$/),
    ]);
  });

  it('keeps secrets redacted: in fields at any depth, in child bindings and on errors', () => {
    const out = capture();
    const logger = createLogger({ name: 'dispatch', destination: out.stream, format: 'pretty', colors: false });
    logger.info({ req: { headers: { authorization: 'Bearer s3cr3t-1', 'stripe-signature': 't=1,v1=s3cr3t-2' } }, config: { STRIPE_WEBHOOK_SECRET: 's3cr3t-3' } }, 'webhook');
    logger.child({ requestId: 'req-1', apiKey: 's3cr3t-4' }).info('bound');
    const err = Object.assign(new Error('partner refused'), { config: { headers: { Authorization: 'Bearer s3cr3t-5' } } });
    logger.error({ err }, 'send failed');
    const written = out.lines.join('\n');
    expect(written).not.toContain('s3cr3t');
    expect(written).toContain(`"authorization":"${REDACTED}"`);
    expect(written).toContain(`"apiKey":"${REDACTED}"`);
    expect(written).toContain(`"Authorization": "${REDACTED}"`);
    expect(written).toContain('partner refused');
    expect(out.lines.some((line) => line.startsWith('{'))).toBe(false);
  });

  it('colours only when asked', () => {
    const plain = capture();
    createLogger({ name: 'order', destination: plain.stream, format: 'pretty', colors: false }).info('hello');
    const coloured = capture();
    createLogger({ name: 'order', destination: coloured.stream, format: 'pretty', colors: true }).info('hello');
    expect(plain.lines[0]).not.toContain('\u001b[');
    expect(coloured.lines[0]).toContain('\u001b[');
  });
});
