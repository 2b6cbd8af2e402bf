import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { UsageError } from './cli-error';
import { LISTEN_USAGE } from './usage';

export interface ListenArgs {
  port: number;
  host: string;
  /** Verify with this secret; undefined with `subscribe` (the subscription's secret is used). */
  secret?: string;
  subscribe: boolean;
  /** With `subscribe`: the event types to subscribe to. */
  events: string[];
  keep: boolean;
  apiKey?: string;
  dispatchUrl: string;
  verbose: boolean;
  dataDir?: string;
}

export const DEFAULT_LISTEN_PORT = 4000;
/** `npm start`'s one origin, which routes /external/webhooks to outbound-dispatch. */
export const DEFAULT_DISPATCH_URL = 'http://127.0.0.1:3000';

/** The patterns outbound-dispatch accepts: an event type, a family like `order.*`, or `*`. */
const EVENT_PATTERN = /^(\*|[a-z_]+\.\*|[a-z_]+\.[a-z_.]+)$/;

const usage = (message: string): never => {
  throw new UsageError(message, LISTEN_USAGE);
};

/** A Standard Webhooks secret: `whsec_` and base64 that decodes to a key. */
export function isWebhookSecret(secret: string): boolean {
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) return false;
  try {
    new Webhook(secret);
    return true;
  } catch {
    return false;
  }
}

/** `orderflow listen …` arguments, or 'help'. Throws a UsageError naming what is wrong. */
export function parseListenArgs(argv: readonly string[]): ListenArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        secret: { type: 'string' },
        subscribe: { type: 'boolean' },
        events: { type: 'string' },
        keep: { type: 'boolean' },
        'api-key': { type: 'string' },
        'dispatch-url': { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const subscribe = values.subscribe ?? false;
  if (subscribe && values.secret) usage('--secret and --subscribe exclude each other: --subscribe verifies with the secret the new subscription gets');
  if (!subscribe && !values.secret) usage('listen needs --secret (your subscription\'s whsec_... secret) or --subscribe (to register one)');
  if (values.secret && !isWebhookSecret(values.secret)) usage('--secret must be a Standard Webhooks secret: whsec_ followed by base64');
  if (!subscribe) {
    for (const option of ['events', 'keep', 'api-key', 'dispatch-url'] as const) {
      if (values[option] !== undefined) usage(`--${option} goes with --subscribe`);
    }
  }

  const port = values.port ?? String(DEFAULT_LISTEN_PORT);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) usage(`--port must be a port number (0 for any free one), got ${JSON.stringify(port)}`);
  const events = (values.events ?? '*').split(',').map((e) => e.trim()).filter(Boolean);
  const wrong = events.find((e) => !EVENT_PATTERN.test(e));
  if (events.length === 0 || wrong !== undefined) usage(`--events must list event types (order.paid), families (order.*) or *, got ${JSON.stringify(wrong ?? values.events)}`);
  const dispatchUrl = values['dispatch-url'] ?? DEFAULT_DISPATCH_URL;
  if (!URL.canParse(dispatchUrl) || !/^https?:$/.test(new URL(dispatchUrl).protocol)) usage(`--dispatch-url must be an http(s) URL, got ${JSON.stringify(dispatchUrl)}`);

  return {
    port: Number(port),
    host: values.host ?? '127.0.0.1',
    secret: values.secret,
    subscribe,
    events,
    keep: values.keep ?? false,
    apiKey: values['api-key'],
    dispatchUrl: dispatchUrl.replace(/\/+$/, ''),
    verbose: values.verbose ?? false,
    dataDir: values['data-dir'],
  };
}
