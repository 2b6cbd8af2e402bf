import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '@orderflow/db';
import { deadLetterTopic, newEvent, Topics, type AnyEvent, type EventType } from '@orderflow/events';
import { DeadLetterHeaders, type EventContext } from '@orderflow/kafka';
import { createLogger } from '@orderflow/logging';
import { createTestDatabase, tempDir } from '@orderflow/testing';
import { Registry } from 'prom-client';
import { eventsHandlers } from '../src/consumers/event-runs';
import { NotificationPlanner } from '../src/domain/notification-planner';
import { PrismaClient } from '../src/generated/prisma/client';
import { EmailTemplates } from '../src/adapters/messages/email-templates';
import { OrderEmails } from '../src/adapters/messages/order-emails';
import { NotificationMetrics } from '../src/metrics';
import { ADMIN_EMAIL, anOrder, fulfilled, stripeEvent } from './support';

const logger = createLogger({ name: 'event-runs-test', level: 'silent' });
let offset = 0;

/** A message as the consumer runner hands it over; offsets are unique across the file. */
function message(topic: string, event: AnyEvent, headers: Record<string, string> = {}): { event: AnyEvent; context: EventContext } {
  return { event, context: { topic, partition: 0, offset: String(offset++), key: null, headers, attempt: 1 } };
}

function event(type: EventType, payload: unknown, orderKey: string): AnyEvent {
  return newEvent({ type, eventId: `${type}:${randomUUID()}`, orderKey, instanceId: 'shop-a', traceId: randomUUID(), payload: payload as never }) as AnyEvent;
}

const on = (topic: string) => (e: AnyEvent) => message(topic, e);
const orders = on(Topics.orders);
const fulfillments = on(Topics.fulfillment);

/** The handlers on a fresh database of `kind`, with every channel on; what was written, read back. */
function useHandlers(kind: 'postgres' | 'pglite') {
  const h = {} as { database: Database; prisma: PrismaClient; drop: () => Promise<void>; due: string[][]; handlers: ReturnType<typeof eventsHandlers> };
  beforeAll(async () => {
    const dir = tempDir();
    const test = kind === 'postgres' ? await createTestDatabase('notification_runs') : null;
    h.database = await openDatabase({ url: test?.url, dataDir: dir.path, name: 'notification', migrationsDir: path.join(__dirname, '..', 'prisma', 'migrations'), logger });
    h.drop = async () => {
      await test?.drop();
      dir.remove();
    };
    h.prisma = new PrismaClient({ adapter: h.database.adapter });
    h.due = [];
    const planner = new NotificationPlanner({ emails: new OrderEmails(new EmailTemplates(), 'Test Shop'), channels: new Set(['email', 'discord', 'slack']), adminEmail: ADMIN_EMAIL });
    h.handlers = eventsHandlers({
      sql: () => h.database.sql,
      prisma: () => h.prisma,
      planner,
      metrics: new NotificationMetrics(new Registry()),
      logger,
      slack: true,
      maxEventAgeMs: 86_400_000,
      due: (channels) => h.due.push([...channels].sort()),
    });
  });
  afterAll(async () => {
    await h.prisma?.$disconnect();
    await h.database?.close();
    await h.drop?.();
  });
  const query = <Row extends object>(text: string, params: unknown[]) => h.database.sql.query<Row>(text, params);
  return {
    get due() {
      return h.due;
    },
    batch: (run: Array<{ event: AnyEvent; context: EventContext }>) => h.handlers.batchHandler(run),
    single: ({ event, context }: { event: AnyEvent; context: EventContext }) => h.handlers.handler(event, context),
    /** [channel, kind, item IDs] of the order's notifications, in the order they were written. */
    notifications: async (orderId: string) =>
      (await query<{ channel: string; kind: string; item_ids: string[] }>('SELECT channel, kind, item_ids FROM notifications WHERE order_id = $1 ORDER BY id', [orderId])).map((n) => [n.channel, n.kind, n.item_ids]),
    message: async (orderId: string, kind: string) => (await query<{ message: { text: string } }>('SELECT message FROM notifications WHERE order_id = $1 AND kind = $2', [orderId, kind]))[0]?.message,
    snapshotStatus: async (orderId: string) => (await query<{ status: string }>(`SELECT snapshot->>'status' AS status FROM orders WHERE order_id = $1`, [orderId]))[0]?.status,
    /** A source's webhook activity by day, every type together. */
    activity: (source: string) =>
      query<{ day: string; received: number; retried: number }>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(received)::int AS received, sum(retried)::int AS retried FROM webhook_activity WHERE source = $1 GROUP BY day ORDER BY day`,
        [source],
      ),
    slackAbout: async (eventIds: string[]) =>
      (await query<{ kind: string }>(`SELECT kind FROM notifications WHERE channel = 'slack' AND event_id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY id`, [JSON.stringify(eventIds)])).map((n) => n.kind),
  };
}

describe.each(['postgres', 'pglite'] as const)('a run of events handled at once (%s)', (kind) => {
  const h = useHandlers(kind);

  it("writes each new event's notifications once; an event delivered again, in the run or after it, adds nothing", async () => {
    const order = anOrder([{ kind: 'ticket', name: 'Gala' }]);
    const paid = orders(event('order.paid', order, order.orderId));
    const refunded = orders(event('order.refunded', { ...order, status: 'REFUNDED', refundedCents: order.totalCents }, order.orderId));
    const dueBefore = h.due.length;
    await h.batch([paid, paid]);
    await h.batch([paid, refunded, refunded]);
    expect(await h.notifications(order.orderId)).toEqual([
      ['discord', 'order.paid', []],
      ['email', 'admin-new-order', []],
      ['discord', 'order.refunded', []],
      ['email', 'refund', []],
    ]);
    expect(h.due.slice(dueBefore)).toEqual([['discord', 'email'], ['discord', 'email']]);
  });

  it('keeps the newest snapshot of a run, whatever order its versions came in, and no older one replaces it later', async () => {
    const order = anOrder([{ kind: 'ticket' }]);
    const version = (status: typeof order.status, minute: number) => ({ ...order, status, updatedAt: new Date(Date.parse(order.createdAt) + minute * 60_000).toISOString() });
    const at = (type: EventType, status: typeof order.status, minute: number) => orders(event(type, version(status, minute), order.orderId));
    await h.batch([at('order.pending', 'PENDING', 1), at('order.paid', 'PAID', 3), at('order.created', 'PENDING', 2)]);
    expect(await h.snapshotStatus(order.orderId)).toBe('PAID');
    await h.batch([at('order.pending', 'PENDING', 0), at('order.created', 'PENDING', 2)]);
    expect(await h.snapshotStatus(order.orderId)).toBe('PAID');
    // Two versions as new as each other: the later event's, as when they come one at a time.
    await h.batch([at('order.refunded', 'REFUNDED', 5), at('order.disputed', 'DISPUTED', 5)]);
    expect(await h.snapshotStatus(order.orderId)).toBe('DISPUTED');
  });

  it('mails two fulfillment rounds in one run as the confirmation, then only what the second issued', async () => {
    const order = anOrder([{ kind: 'ticket', name: 'Gala', quantity: 2 }]);
    await h.batch([orders(event('order.pending', { ...order, status: 'PENDING' }, order.orderId)), orders(event('order.paid', order, order.orderId))]);
    const outcome = fulfilled(order);
    const extra = { ticketId: 'tkt_promoted', lineId: order.lines[0].lineId, seat: 2, capacityKey: 'event-0', code: 'CODE-PROMOTED', qrPayload: 'OF1.promoted' };
    const round = (tickets: typeof outcome.tickets) => fulfillments(event('fulfillment.completed', { ...outcome, tickets }, order.orderId));
    await h.batch([round(outcome.tickets), round([...outcome.tickets!, extra]), round([...outcome.tickets!, extra])]);

    const mails = (await h.notifications(order.orderId)).filter(([channel]) => channel === 'email');
    expect(mails).toEqual([
      ['email', 'admin-new-order', []],
      ['email', 'order-confirmation', outcome.tickets!.map((t) => `ticket:${t.ticketId}`)],
      ['email', 'tickets-added', ['ticket:tkt_promoted']],
    ]);
    // The order's lines come from the copy the earlier run saved.
    expect((await h.message(order.orderId, 'order-confirmation'))?.text).toContain('2 × Gala  €50.00');
  });

  it('writes nothing of a run that fails, so that each of its events can go alone: the poison one fails, the others are written', async () => {
    const [a, b, c] = [anOrder([{ kind: 'license' }]), anOrder([{ kind: 'license' }]), anOrder([{ kind: 'license' }])];
    const disputed = (order: typeof a) => orders(event('order.disputed', { ...order, status: 'DISPUTED' }, 'one-key'));
    // Postgres refuses a NUL character in jsonb: this event can never be written.
    const poison = disputed({ ...b, customer: { ...b.customer, name: 'Ada\u0000' } });
    await expect(h.batch([disputed(a), poison, disputed(c)])).rejects.toThrow();
    expect(await h.notifications(a.orderId)).toEqual([]);

    await h.single(disputed(a));
    await expect(h.single(poison)).rejects.toThrow();
    await h.single(disputed(c));
    expect(await h.notifications(a.orderId)).toEqual([['discord', 'order.disputed', []]]);
    expect(await h.notifications(b.orderId)).toEqual([]);
    expect(await h.notifications(c.orderId)).toEqual([['discord', 'order.disputed', []]]);
  });

  it('counts a run of webhook messages once each: a provider event ID seen before, in the run or earlier, is a retry', async () => {
    const source = 'stripe';
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    const first = { ...stripeEvent('payment_intent.succeeded', 'ord_x'), receivedAt: twoDaysAgo.toISOString() } as AnyEvent;
    const ingress = on(Topics.stripeIngress);
    const replayed = ingress(first);
    const before = await h.activity(source);
    await h.batch([ingress(first), ingress(stripeEvent('charge.refunded', 'ord_x')), replayed]);
    // Delivered again (same position), with a new message after it.
    await h.batch([replayed, ingress(first)]);

    const today = new Date().toISOString().slice(0, 10);
    const counted = (await h.activity(source)).map((row) => {
      const was = before.find((b) => b.day === row.day) ?? { received: 0, retried: 0 };
      return [row.day, row.received - was.received, row.retried - was.retried];
    });
    expect(counted).toEqual([
      [twoDaysAgo.toISOString().slice(0, 10), 1, 0],
      [today, 1, 2],
    ]);
  });

  it('alerts once per dead letter of a run, however often the run is delivered', async () => {
    const events = [stripeEvent('payment_intent.succeeded', 'ord_dead'), stripeEvent('charge.refunded', 'ord_dead')];
    const headers = { [DeadLetterHeaders.originalTopic]: Topics.stripeIngress, [DeadLetterHeaders.failedAt]: new Date().toISOString(), [DeadLetterHeaders.reason]: 'retries-exhausted' };
    const run = events.map((e) => message(deadLetterTopic(Topics.stripeIngress), e, headers));
    await h.batch(run);
    await h.batch(run);
    expect(await h.slackAbout(events.map((e) => e.eventId))).toEqual(['dead-letter', 'dead-letter']);
  });
});
