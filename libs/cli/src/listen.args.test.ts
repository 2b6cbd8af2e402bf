import { UsageError } from './cli-error';
import { parseListenArgs } from './listen.args';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

function usageError(argv: string[]): string {
  try {
    parseListenArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      expect(err.help).toContain('Usage: orderflow listen');
      return err.message;
    }
    throw err;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('orderflow listen arguments', () => {
  it('listens on 127.0.0.1:4000 with the given secret', () => {
    expect(parseListenArgs(['--secret', SECRET])).toEqual({
      port: 4000,
      host: '127.0.0.1',
      secret: SECRET,
      subscribe: false,
      events: ['*'],
      keep: false,
      dispatchUrl: 'http://127.0.0.1:3000',
      verbose: false,
    });
  });

  it('subscribes to the given event types with the given key, at the given dispatch URL', () => {
    expect(
      parseListenArgs(['--subscribe', '--events', 'order.*, fulfillment.completed', '--api-key', 'k', '--dispatch-url', 'http://127.0.0.1:4004/', '--port', '0', '--keep', '-v', '--data-dir', 'd']),
    ).toEqual({
      port: 0,
      host: '127.0.0.1',
      subscribe: true,
      events: ['order.*', 'fulfillment.completed'],
      keep: true,
      apiKey: 'k',
      dispatchUrl: 'http://127.0.0.1:4004',
      verbose: true,
      dataDir: 'd',
    });
  });

  it('needs exactly one way to know the secret', () => {
    expect(usageError([])).toMatch(/needs --secret .* or --subscribe/);
    expect(usageError(['--subscribe', '--secret', SECRET])).toMatch(/exclude each other/);
    expect(usageError(['--secret', 'not-a-secret'])).toMatch(/whsec_ followed by base64/);
    expect(usageError(['--secret', 'whsec_***'])).toMatch(/whsec_ followed by base64/);
  });

  it('refuses subscription options without --subscribe, and bad ports and event types', () => {
    expect(usageError(['--secret', SECRET, '--events', 'order.*'])).toMatch(/--events goes with --subscribe/);
    expect(usageError(['--secret', SECRET, '--keep'])).toMatch(/--keep goes with --subscribe/);
    expect(usageError(['--secret', SECRET, '--port', '70000'])).toMatch(/--port must be a port number/);
    expect(usageError(['--subscribe', '--events', 'Order.Paid'])).toMatch(/--events must list event types/);
    expect(usageError(['--subscribe', '--dispatch-url', 'nowhere'])).toMatch(/--dispatch-url must be an http\(s\) URL/);
    expect(usageError(['--secret', SECRET, 'extra'])).toMatch(/Unexpected argument 'extra'/);
  });

  it('answers help', () => {
    expect(parseListenArgs(['--help'])).toBe('help');
  });
});
