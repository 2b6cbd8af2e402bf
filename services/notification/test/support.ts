import { randomUUID } from 'node:crypto';
import { deadLetterTopic, encodeEvent, newEvent, Topics, type AnyEvent, type EventType, type FulfillmentOutcome, type OrderSnapshot } from '@orderflow/events';
import { createBus, DeadLetterHeaders, type BatchingProducer, type Bus } from '@orderflow/kafka';
import { createLogger } from '@orderflow/logging';
import { callApi, orderSnapshot, scrapeMetrics, serveOnLoopback, type ApiAnswer, type Served } from '@orderflow/service-testing';
import { createTestDatabase, startTestBroker, waitFor, type TestBroker } from '@orderflow/testing';
import { buildNotificationService, loadNotificationConfig, type NotificationService } from '../src';
import { startSmtpCapture, startWebhookReceiver, type SmtpCapture, type WebhookReceiver } from './fakes';

export const ADMIN_TOKEN = 'notification-admin-token-0123';
export const METRICS_TOKEN = 'notification-metrics-token-0123456789';
export const ADMIN_EMAIL = 'team@shop.test';

export type RunningNotification = Served<NotificationService>;

export async function startNotification(env: Record<string, string | undefined>): Promise<RunningNotification> {
  const config = loadNotificationConfig({
    ADMIN_TOKEN,
    METRICS_TOKEN,
    MAIL_FROM: 'Test Shop <shop@shop.test>',
    SHOP_ADMIN_EMAIL: ADMIN_EMAIL,
    SHOP_NAME: 'Test Shop',
    LOG_LEVEL: 'silent',
    NOTIFY_POLL_INTERVAL: '100ms',
    NOTIFY_RETRY_BASE: '100ms',
    WEBHOOK_TIMEOUT: '500ms',
    SMTP_TIMEOUT: '3s',
    KAFKA_SESSION_TIMEOUT: '6s',
    ...env,
  });
  return serveOnLoopback(buildNotificationService(config, { logger: createLogger({ name: 'notification-test', level: config.LOG_LEVEL }) }));
}

export interface NotificationStack {
  readonly running: RunningNotification;
  readonly smtp: SmtpCapture;
  readonly discord: WebhookReceiver;
  readonly slack: WebhookReceiver;
  readonly broker: TestBroker;
  /** Publishes a catalog event about an order (its key); returns the event ID. */
  publish<T extends EventType>(type: T, payload: AnyEvent['payload'], options: { orderKey: string; eventId?: string; occurredAt?: Date }): Promise<string>;
  /** Puts `event` on `<topic>.dlq` as the consumer runner does when it gives up on it. */
  deadLetter(topic: string, event: AnyEvent, options?: { failedAt?: Date }): Promise<void>;
  /** Stops the service, runs `whileDown` (publishing a backlog, say) and starts it again. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

/** A broker, a database, SMTP, Discord and Slack fakes, and the service, for one describe block. */
export function useNotificationStack(database: string, env: () => Record<string, string> = () => ({})): NotificationStack {
  const stack = {} as {
    broker: TestBroker;
    db: { url: string; drop(): Promise<void> };
    smtp: SmtpCapture;
    discord: WebhookReceiver;
    slack: WebhookReceiver;
    env: Record<string, string>;
    running: RunningNotification;
    bus: Bus;
    producer: BatchingProducer;
  };
  beforeAll(async () => {
    [stack.broker, stack.db, stack.smtp, stack.discord, stack.slack] = await Promise.all([
      startTestBroker(),
      createTestDatabase(database),
      startSmtpCapture(),
      startWebhookReceiver(204),
      startWebhookReceiver(200),
    ]);
    stack.env = {
      KAFKA_BROKERS: stack.broker.brokers.join(','),
      NOTIFICATION_DATABASE_URL: stack.db.url,
      SMTP_URL: stack.smtp.url,
      DISCORD_WEBHOOK_URL: `${stack.discord.url}/api/webhooks/1/discord-token`,
      SLACK_WEBHOOK_URL: `${stack.slack.url}/services/T0/B0/slack-token`,
      ...env(),
    };
    stack.running = await startNotification(stack.env);
    stack.bus = createBus({ brokers: stack.broker.brokers, clientId: 'upstream-double' });
    stack.producer = stack.bus.createProducer();
  });
  afterAll(async () => {
    await stack.bus?.close();
    await stack.running?.close();
    await Promise.all([stack.smtp?.close(), stack.discord?.close(), stack.slack?.close()]);
    await stack.db?.drop();
    await stack.broker?.stop();
  });
  const methods: Pick<NotificationStack, 'publish' | 'deadLetter' | 'restart'> = {
    publish: async (type, payload, options) => {
      const eventId = options.eventId ?? `${type}:${options.orderKey}:${randomUUID()}`;
      const event = newEvent({ type, eventId, orderKey: options.orderKey, instanceId: 'shop-a', traceId: randomUUID(), payload: payload as never });
      if (options.occurredAt) event.occurredAt = event.receivedAt = options.occurredAt.toISOString();
      await stack.producer.sendEvent(event as AnyEvent);
      return eventId;
    },
    deadLetter: async (topic, event, options = {}) => {
      const encoded = encodeEvent(event);
      await stack.producer.send(deadLetterTopic(topic), {
        key: encoded.key,
        value: encoded.value,
        headers: {
          ...encoded.headers,
          [DeadLetterHeaders.reason]: 'retries-exhausted',
          [DeadLetterHeaders.error]: 'RetriableError: order database said no',
          [DeadLetterHeaders.originalTopic]: topic,
          [DeadLetterHeaders.originalPartition]: '0',
          [DeadLetterHeaders.originalOffset]: '0',
          [DeadLetterHeaders.consumerGroup]: 'order-service',
          [DeadLetterHeaders.attempts]: '5',
          [DeadLetterHeaders.failedAt]: (options.failedAt ?? new Date()).toISOString(),
        },
      });
    },
    restart: async (whileDown) => {
      await stack.running.close();
      await whileDown?.();
      stack.running = await startNotification(stack.env);
    },
  };
  // The record itself is the stack, as the ingress's is: what beforeAll and restart put in it is what tests read.
  return Object.assign(stack, methods);
}

type Line = { kind: 'ticket' | 'license' | 'external'; name?: string; quantity?: number };

/** An order snapshot as the order service publishes it, for a customer of its own. */
export function anOrder(lines: Line[], status: OrderSnapshot['status'] = 'PAID'): OrderSnapshot {
  const orderId = `ord_${randomUUID()}`;
  return orderSnapshot({
    orderId,
    instanceId: 'shop-a',
    status,
    customer: { email: `ada+${orderId.slice(4, 12)}@example.com`, name: 'Ada' },
    lines: lines.map((line, i) => ({
      lineId: `line_${randomUUID()}`,
      productId: `${line.kind}-product-${i}`,
      name: line.name ?? null,
      quantity: line.quantity ?? 1,
      unitAmountCents: 2_500,
      kind: line.kind,
      capacityKey: line.kind === 'ticket' ? `event-${i}` : null,
    })),
  });
}

/** What fulfillment.completed says about `order`: a ticket per seat, a license per unit. */
export function fulfilled(order: OrderSnapshot, round = 1): FulfillmentOutcome {
  return {
    orderId: order.orderId,
    instanceId: order.instanceId,
    customer: order.customer,
    reason: null,
    tickets: order.lines
      .filter((l) => l.kind === 'ticket')
      .flatMap((l) =>
        Array.from({ length: l.quantity }, (_, seat) => ({
          ticketId: `tkt_${l.lineId}_${seat}`,
          lineId: l.lineId,
          seat,
          capacityKey: l.capacityKey,
          code: `CODE-${l.lineId.slice(5, 13)}-${seat}`.toUpperCase(),
          qrPayload: `OF1.tkt_${seat}.${order.orderId}.${l.capacityKey}.sig${round}`,
        })),
      ),
    licenses: order.lines.filter((l) => l.kind === 'license').map((l, i) => ({ licenseId: String(1000 + i), lineId: l.lineId, productId: l.productId, unit: 0, keyHint: `…K${i}ZZ` })),
    externalLineIds: order.lines.filter((l) => l.kind === 'external').map((l) => l.lineId),
  };
}

/** A Stripe event as the ingress publishes it. */
export function stripeEvent(type: 'payment_intent.succeeded' | 'charge.refunded', orderId: string, eventId = `evt_${randomUUID()}`): AnyEvent {
  return newEvent({
    type,
    eventId,
    orderKey: orderId,
    instanceId: null,
    traceId: randomUUID(),
    payload: { id: eventId, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: { id: `pi_${randomUUID()}`, object: 'payment_intent', metadata: { orderId } } } },
  } as never) as AnyEvent;
}

export function api(url: string, path: string, options: { method?: string; body?: unknown; bearer?: string | null } = {}): Promise<ApiAnswer> {
  return callApi(url, path, { bearer: options.bearer === null ? undefined : (options.bearer ?? ADMIN_TOKEN), method: options.method, body: options.body });
}

/** The notifications about an order, newest first, as the admin API lists them. */
export async function notificationsOf(stack: NotificationStack, orderId: string, query = ''): Promise<Array<Record<string, any>>> {
  const res = await api(stack.running.url, `/admin/notifications?orderId=${encodeURIComponent(orderId)}${query}`);
  return res.body.items;
}

/** Waits until the order's notifications satisfy `ready`; returns them, newest first. */
export function notificationsWhen(stack: NotificationStack, orderId: string, ready: (items: Array<Record<string, any>>) => boolean, query = '') {
  return waitFor(async () => {
    const items = await notificationsOf(stack, orderId, query);
    return ready(items) ? items : null;
  });
}

/** Discord embeds about `orderId` that were accepted, in arrival order. */
export function embedsOf(stack: NotificationStack, orderId: string) {
  return stack.discord.delivered((body) => String(body?.embeds?.[0]?.footer?.text ?? '').endsWith(orderId)).map((r) => r.body.embeds[0]);
}

/** Waits for the `n`th mail to `address`. */
export function mailTo(stack: NotificationStack, address: string, n = 1) {
  return waitFor(() => stack.smtp.to(address)[n - 1], { description: `mail ${n} to ${address}` });
}

export async function metric(stack: NotificationStack, pattern: RegExp): Promise<string | undefined> {
  const text = await scrapeMetrics(stack.running.url, METRICS_TOKEN);
  return text.split('\n').find((line) => pattern.test(line));
}

export { Topics };
