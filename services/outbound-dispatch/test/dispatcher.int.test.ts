import * as path from 'node:path';
import { openDatabase, type Database, type SqlExecutor } from '@orderflow/db';
import { createLogger } from '@orderflow/logging';
import { createMetricsRegistry } from '@orderflow/metrics';
import { createTestDatabase, waitFor } from '@orderflow/testing';
import { DispatchMetrics } from '../src/metrics';
import { PrismaClient } from '../src/generated/prisma/client';
import { Sender } from '../src/adapters/sender';
import { OutboundPolicy } from '../src/adapters/url-safety';
import { Dispatcher } from '../src/use-cases/dispatcher';
import { Partner } from './support';

const MIGRATIONS_DIR = path.join(__dirname, '..', 'prisma', 'migrations');
type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** One claim statement as the dispatcher ran it: what the subscription's breaker was, and how many it got. */
interface ClaimSeen {
  breaker: string;
  claimed: number;
}

/**
 * The dispatcher alone on a real Postgres database and a real loopback partner, its SQL
 * watched: each claim is recorded with what it brought back.
 */
describe('the dispatcher', () => {
  const state = {} as { server: TestDatabase; db: Database; prisma: PrismaClient };
  const running: Array<{ dispatcher: Dispatcher; sender: Sender; partner: Partner }> = [];
  beforeAll(async () => {
    state.server = await createTestDatabase('dispatch_dispatcher');
    state.db = await openDatabase({ url: state.server.url, dataDir: '/nonexistent', name: 'outbound-dispatch', migrationsDir: MIGRATIONS_DIR, logger: createLogger({ name: 'test', level: 'silent' }) });
    state.prisma = new PrismaClient({ adapter: state.db.adapter });
  });
  afterEach(async () => {
    for (const { dispatcher, sender, partner } of running.splice(0)) {
      await dispatcher.stop();
      sender.close();
      await partner.close();
    }
  });
  afterAll(async () => {
    await state.prisma?.$disconnect();
    await state.db?.close();
    await state.server?.drop();
  });

  /** A subscription of `partner` with `count` due deliveries, each with its event. */
  async function backlog(subscriptionId: string, partner: Partner, count: number): Promise<void> {
    partner.secrets = [SECRET];
    await state.db.sql.query(`INSERT INTO subscriptions (id, instance_id, url, event_types, secret) VALUES ($1, 'shop', $2, '{order.*}', $3)`, [subscriptionId, partner.url, SECRET]);
    await state.db.sql.query(
      `WITH e AS (
         INSERT INTO events (id, type, instance_id, order_key, body, occurred_at)
         SELECT $1 || ':' || n, 'order.paid', 'shop', $1 || ':ord_' || n, jsonb_build_object('type', 'order.paid', 'data', jsonb_build_object('orderId', $1 || ':ord_' || n)), now()
         FROM generate_series(1, $2::int) AS n RETURNING id, order_key)
       INSERT INTO deliveries (subscription_id, event_id, event_type, order_key, status, next_attempt_at)
       SELECT $1, id, 'order.paid', order_key, 'PENDING', now() FROM e ORDER BY id`,
      [subscriptionId, count],
    );
  }

  /** Starts a dispatcher whose claims are recorded in `claims`, with the breaker state of `watched` as each began. */
  async function start(watched: string, options: { endpointConcurrency: number; breakerResetMs?: number }) {
    const partner = await Partner.start();
    const claims: ClaimSeen[] = [];
    const registry = createMetricsRegistry({ service: 'outbound-dispatch' });
    let dispatcher: Dispatcher | undefined;
    const sql: SqlExecutor = {
      exec: (script) => state.db.sql.exec(script),
      execute: (text, params) => state.db.sql.execute(text, params),
      async query<Row extends object>(text: string, params?: readonly unknown[]) {
        if (!text.includes('WITH RECURSIVE pending')) return state.db.sql.query<Row>(text, params);
        const breaker = dispatcher?.breakerState(watched) ?? 'closed';
        const rows = await state.db.sql.query<Row & { id: string; deliveries: string | unknown[] }>(text, params);
        const mine = rows.find((row) => row.id === watched);
        claims.push({ breaker, claimed: mine ? (typeof mine.deliveries === 'string' ? JSON.parse(mine.deliveries) : mine.deliveries).length : 0 });
        return rows;
      },
    };
    const sender = new Sender(new OutboundPolicy(['127.0.0.1']), 2_000);
    dispatcher = new Dispatcher({
      prisma: state.prisma,
      sql,
      sender,
      metrics: new DispatchMetrics(registry, () => state.prisma),
      registry,
      logger: createLogger({ name: 'test', level: 'silent' }),
      scheduleMs: [0, 50, 50, 50, 50, 50, 50, 50],
      jitter: 0,
      concurrency: 64,
      endpointConcurrency: options.endpointConcurrency,
      disableAfterMs: 3_600_000,
      breakerResetMs: options.breakerResetMs ?? 30_000,
      requestTimeoutMs: 2_000,
      published: () => undefined,
    });
    running.push({ dispatcher, sender, partner });
    return { dispatcher, partner, claims };
  }

  const deliveredTo = (partner: Partner) => new Set(partner.received.map((r) => r.id)).size;

  it('sends a backlog a few rounds of the endpoint’s concurrency per claim, never more than that concurrency at once', async () => {
    const { dispatcher, partner, claims } = await start('backlog', { endpointConcurrency: 4 });
    await backlog('backlog', partner, 120);

    dispatcher.start();

    await waitFor(() => deliveredTo(partner) === 120, { description: 'the whole backlog delivered' });
    expect(partner.maxConcurrent).toBeLessThanOrEqual(4);
    // 16 (four rounds of 4) at first, then 8 or more each time the subscription is down to 8,
    // so about 14 claims (a poll may top up a few more); claiming as answers came, it was 60 or more.
    const bringing = claims.filter((c) => c.claimed > 0);
    expect(bringing[0].claimed).toBe(16);
    expect(bringing.length).toBeLessThanOrEqual(20);
  });

  it('claims nothing of an endpoint while its breaker is open; its deliveries wait without attempts and go out once it recovers', async () => {
    const { dispatcher, partner, claims } = await start('flaky', { endpointConcurrency: 2, breakerResetMs: 300 });
    partner.replies = Array.from({ length: 4 }, () => ({ status: 503 }));
    await backlog('flaky', partner, 20);

    dispatcher.start();

    await waitFor(() => deliveredTo(partner) === 20, { description: 'every delivery, once the partner recovered' });
    const whileOpen = claims.filter((c) => c.breaker === 'open');
    expect(whileOpen.length).toBeGreaterThan(0);
    expect(whileOpen.every((c) => c.claimed === 0)).toBe(true);
    // The 4 refusals and what was in flight when the breaker opened, then each delivery once.
    expect(partner.requests.length).toBeLessThanOrEqual(20 + 4 + 2);
  });
});
