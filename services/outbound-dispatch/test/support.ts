import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { newEvent, type AnyEvent, type EventType, type OrderSnapshot } from '@orderflow/events';
import { createBus, type BatchingProducer, type Bus } from '@orderflow/kafka';
import { createLogger } from '@orderflow/logging';
import { callApi, orderSnapshot, serveOnLoopback, type ApiAnswer, type Served } from '@orderflow/service-testing';
import { createTestDatabase, startTestBroker, type RecordPosition, type TestBroker } from '@orderflow/testing';
import { Webhook } from 'standardwebhooks';
import { buildDispatchService, loadDispatchConfig, type DispatchService } from '../src';

export const ADMIN_TOKEN = 'dispatch-admin-token-0123456';
export const METRICS_TOKEN = 'dispatch-metrics-token-0123456789';
export const SHOP_A = { instanceId: 'shop-a', key: 'key-shop-a-0123456789abcdefghij' };
export const SHOP_B = { instanceId: 'shop-b', key: 'key-shop-b-0123456789abcdefghij' };

export type RunningDispatch = Served<DispatchService>;

export async function startDispatch(env: Record<string, string | undefined>): Promise<RunningDispatch> {
  const config = loadDispatchConfig({
    ADMIN_TOKEN,
    METRICS_TOKEN,
    API_KEYS: `${SHOP_A.instanceId}:${SHOP_A.key},${SHOP_B.instanceId}:${SHOP_B.key}`,
    LOG_LEVEL: 'silent',
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
    DISPATCH_RETRY_SCHEDULE: '0,150ms,300ms,600ms',
    DISPATCH_RETRY_JITTER: '0',
    DISPATCH_BREAKER_RESET: '1s',
    ...env,
  });
  return serveOnLoopback(buildDispatchService(config, { logger: createLogger({ name: 'dispatch-test', level: config.LOG_LEVEL }) }));
}

/** What a partner answers; `hang` accepts the request and never answers. */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface Received {
  id: string;
  type: string;
  orderKey: string | undefined;
  body: Record<string, any>;
  headers: Record<string, string>;
  at: number;
}

/**
 * A partner endpoint on loopback. Each request is verified with the `standardwebhooks` library
 * against `secrets` (set once the subscription exists); unverifiable requests are recorded
 * separately and answered 401. `replies` answer in turn, then 200.
 */
export class Partner {
  readonly received: Received[] = [];
  readonly unverified: Array<{ headers: Record<string, string>; error: string }> = [];
  /** Every request, verified or not, in arrival order. */
  readonly requests: Array<{ at: number; id: string }> = [];
  /** The most requests it was answering at once. */
  maxConcurrent = 0;
  private concurrent = 0;
  secrets: string[] = [];
  replies: Reply[] = [];
  /** Webhook IDs answered 500 this many more times, whatever `replies` says. */
  readonly failing = new Map<string, number>();
  private readonly hanging = new Set<ServerResponse>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Partner> {
    const server = createServer();
    const partner = new Partner(server);
    server.on('request', (req, res) => void partner.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return partner;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
  }

  of(orderKey: string): Received[] {
    return this.received.filter((r) => r.orderKey === orderKey);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.maxConcurrent = Math.max(this.maxConcurrent, ++this.concurrent);
    res.on('close', () => this.concurrent--);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const payload = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    this.requests.push({ at: Date.now(), id: headers['webhook-id'] });
    const failures = this.failing.get(headers['webhook-id']) ?? 0;
    if (failures > 0) this.failing.set(headers['webhook-id'], failures - 1);
    const reply = failures > 0 ? { status: 500 } : (this.replies.shift() ?? { status: 200 });
    if (reply === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (reply.status >= 200 && reply.status < 300) {
      let body: Record<string, any> | null = null;
      const errors: string[] = [];
      for (const secret of this.secrets) {
        try {
          body = new Webhook(secret).verify(payload, headers) as Record<string, any>;
          break;
        } catch (err) {
          errors.push(String(err));
        }
      }
      if (!body) {
        this.unverified.push({ headers, error: errors.join('; ') || 'no secret' });
        res.writeHead(401).end();
        return;
      }
      this.received.push({ id: headers['webhook-id'], type: body.type, orderKey: body.data?.orderId, body, headers, at: Date.now() });
    }
    res.writeHead(reply.status, reply.headers).end(reply.body ?? '');
  }
}

export interface DispatchStack {
  readonly broker: TestBroker;
  readonly running: RunningDispatch;
  readonly databaseUrl: string;
  /** Publishes an order-service event for `orderId` of `instanceId`. */
  publish(type: EventType, orderId: string, instanceId?: string, eventId?: string): Promise<string>;
  /** Where the latest event `publish` sent for `orderId` landed. */
  lastSent(orderId: string): RecordPosition;
  /** Registers `partner` for `eventTypes` and gives it the secret. */
  subscribe(partner: Partner, eventTypes: string[], options?: { ordered?: boolean; key?: string; url?: string }): Promise<ApiAnswer>;
  api(path: string, options?: { key?: string; method?: string; body?: unknown }): Promise<ApiAnswer>;
  /** Stops the service and starts it again, with `env` over the stack's environment. */
  restart(env?: Record<string, string>): Promise<void>;
}

/** For the enclosing describe: a function starting loopback partners, all closed after its tests. */
export function usePartners(): () => Promise<Partner> {
  const partners: Partner[] = [];
  afterAll(async () => {
    for (const p of partners) await p.close();
  });
  return async () => {
    const p = await Partner.start();
    partners.push(p);
    return p;
  };
}

export function useDispatchStack(database: string, env: () => Record<string, string> = () => ({})): DispatchStack {
  const stack = {} as { broker: TestBroker; running: RunningDispatch; db: { url: string; drop(): Promise<void> }; databaseUrl: string; env: Record<string, string>; bus: Bus; producer: BatchingProducer; sent: Map<string, RecordPosition> };
  beforeAll(async () => {
    stack.broker = await startTestBroker();
    stack.db = await createTestDatabase(database);
    stack.databaseUrl = stack.db.url;
    stack.env = { KAFKA_BROKERS: stack.broker.brokers.join(','), DISPATCH_DATABASE_URL: stack.db.url, KAFKA_SESSION_TIMEOUT: '6s', ...env() };
    stack.running = await startDispatch(stack.env);
    stack.bus = createBus({ brokers: stack.broker.brokers, clientId: 'order-double' });
    stack.producer = stack.bus.createProducer();
    stack.sent = new Map();
  });
  afterAll(async () => {
    await stack.bus?.close();
    await stack.running?.close();
    await stack.db?.drop();
    await stack.broker?.stop();
  });
  const api = (path: string, options: { key?: string; method?: string; body?: unknown } = {}) =>
    callApi(stack.running.url, path, { bearer: options.key ?? SHOP_A.key, method: options.method, body: options.body });
  const methods: Pick<DispatchStack, 'api' | 'publish' | 'lastSent' | 'subscribe' | 'restart'> = {
    api,
    publish: async (type, orderId, instanceId = SHOP_A.instanceId, eventId = `${type}:${orderId}:${randomUUID()}`) => {
      const payload = type.startsWith('fulfillment.') ? { orderId, instanceId, tickets: [], licenses: [] } : snapshot(orderId, instanceId);
      stack.sent.set(orderId, await stack.producer.sendEvent(newEvent({ type, eventId, orderKey: orderId, instanceId, traceId: randomUUID(), payload: payload as never }) as AnyEvent));
      return eventId;
    },
    lastSent: (orderId) => stack.sent.get(orderId)!,
    subscribe: async (partner, eventTypes, options = {}) => {
      const res = await api('/external/webhooks', { key: options.key, method: 'POST', body: { url: options.url ?? partner.url, eventTypes, ordered: options.ordered ?? false } });
      if (res.status === 201) partner.secrets = [res.body.secret];
      return res;
    },
    restart: async (env = {}) => {
      await stack.running.close();
      stack.running = await startDispatch({ ...stack.env, ...env });
    },
  };
  // The record itself is the stack, as the ingress's is: what beforeAll and restart put in it is what tests read.
  return Object.assign(stack, methods);
}

/** An order snapshot as the order service publishes it. */
export function snapshot(orderId: string, instanceId: string): OrderSnapshot {
  return orderSnapshot({
    orderId,
    instanceId,
    lines: [{ lineId: 'line_1', productId: 'ebook', name: 'E-book', quantity: 1, unitAmountCents: 1_000, kind: 'license', capacityKey: null }],
  });
}
