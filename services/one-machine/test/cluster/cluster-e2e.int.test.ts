import { randomBytes } from 'node:crypto';
import { Topics } from '@orderflow/events';
import { startSmtpCapture, type SmtpCapture } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import { startClusterSystem, type ClusterSystem } from '../support/cluster-system';
import { KafkaState } from '../support/kafka-state';
import { PartnerEndpoint } from '../support/partner-endpoint';
import { orderIdsWithStatus, stockLicenses, subscribePartner, until } from '../support/scenario';
import { deliver, paymentIntentSucceeded, purchase, type ItemLine, type Purchase } from '../support/stripe-webhooks';
import { assertBuilt } from '../support/one-machine-process';

/** Orders in the run and the rate they are sent at; `ORDERFLOW_CLUSTER_ORDERS` / `_RATE` change them. */
const ORDERS = Number(process.env.ORDERFLOW_CLUSTER_ORDERS ?? 1_000);
const RATE = Number(process.env.ORDERFLOW_CLUSTER_RATE ?? 20);
/** How long a killed process or broker stays down before it is started again. */
const DOWN_MS = 4_000;

/** What was killed, when, and how long until it served again. */
interface Kill {
  what: string;
  atAcknowledged: number;
  /** Since the first webhook. */
  atMs: number;
  downMs: number;
  restartMs: number;
}

/**
 * The production shape, proven: Orderflow's services as separate processes (ingress, order ×2,
 * fulfillment ×2, notification, outbound-dispatch ×2, console), each configured by
 * docker-compose.yml's own environment, on a 3-broker Apache Kafka cluster whose topics have 3
 * replicas and need 2 in sync for every acks=all write; a PostgreSQL database per service; Redis.
 *
 * A stream of Stripe-signed webhooks at a steady rate, while the broker leading most partitions of
 * the orders topic is killed with SIGKILL, then one order and one dispatch instance, each started
 * again a few seconds later. Nothing acknowledged may be lost and nothing done twice.
 */
describe('cluster end to end: separate service processes on a 3-broker Apache Kafka cluster', () => {
  let system: ClusterSystem | undefined;
  let smtp: SmtpCapture;
  let partner: PartnerEndpoint;
  let kafka: KafkaState | undefined;

  beforeAll(async () => {
    assertBuilt();
    [smtp, partner] = await Promise.all([startSmtpCapture(), PartnerEndpoint.start()]);
    system = await startClusterSystem({
      dotenv: {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Cluster Shop <shop@shop.example>',
        SHOP_NAME: 'Cluster Shop',
        // The partner listens on loopback, which the SSRF policy refuses unless allowed.
        OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
        LOG_LEVEL: 'warn',
        // Topics as production runs them; the services create them at start.
        KAFKA_REPLICATION_FACTOR: '3',
        KAFKA_MIN_INSYNC_REPLICAS: '2',
        // A killed instance's partitions move to its twin after this long (Compose's .env sets it).
        KAFKA_SESSION_TIMEOUT: '10s',
        // What a killed instance had claimed goes out again once its claim lapses (see e2e.int.test.ts).
        DISPATCH_TIMEOUT: '2s',
        SMTP_TIMEOUT: '2s',
      },
    });
    kafka = await KafkaState.connect(system.kafka.brokers);
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
    await system?.stop();
    await Promise.all([smtp?.close(), partner?.close()]);
  }, 120_000);

  it(`delivers ${ORDERS} orders through broker and instance kills: all FULFILLED, each partner event once and in order, one mail each, no dead letters, lag 0`, async () => {
    const sys = system!;
    const state = kafka!;
    for (const topic of [Topics.stripeIngress, Topics.orders, Topics.fulfillment]) {
      expect((await state.partitions(topic)).map((p) => p.replicas.length)).toEqual([3, 3, 3]);
      expect(await state.topicConfig(topic, 'min.insync.replicas')).toBe('2');
    }
    for (const url of Object.values(sys.urls)) expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await fetch(`${sys.instances('console')[0].url}/readyz`)).status).toBe(200);

    await subscribePartner(sys, partner);
    const licenseProduct = `editor-pro-${randomBytes(4).toString('hex')}`;
    const licensed = Array.from({ length: ORDERS }, (_, i) => i % 3 !== 1);
    await stockLicenses(sys, licenseProduct, licensed.filter(Boolean).length);
    const run = randomBytes(3).toString('hex');
    const purchases: Purchase[] = Array.from({ length: ORDERS }, (_, i) =>
      purchase({ instanceId: sys.shop.instanceId, email: `buyer${i}.${run}@example.com`, name: `Buyer ${i}`, items: linesOf(i, licenseProduct) }),
    );
    const events = purchases.map(paymentIntentSucceeded);
    const ids = new Set(purchases.map((p) => p.orderId));

    // The kills, each at its share of acknowledged webhooks, in the background of the stream.
    const kills: Kill[] = [];
    const pending: Array<Promise<void>> = [];
    const killAt = (share: number, what: string, kill: () => Promise<void>, start: () => Promise<void>) => ({
      at: Math.floor(ORDERS * share),
      fire: () =>
        pending.push(
          (async () => {
            const atAcknowledged = acknowledged;
            const killed = Date.now();
            await kill();
            await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
            const restarting = Date.now();
            await start();
            kills.push({ what, atAcknowledged, atMs: killed - started, downMs: Date.now() - killed, restartMs: Date.now() - restarting });
          })(),
        ),
    });
    const leader = await state.busiestLeader(Topics.orders);
    const broker = sys.kafka.node(leader);
    const [order1] = sys.instances('order');
    const [dispatch1] = sys.instances('outbound-dispatch');
    const schedule = [
      killAt(0.25, `broker ${leader} (leads most partitions of ${Topics.orders})`, () => broker.kill(), () => broker.start()),
      killAt(0.5, order1.name, () => order1.kill(), () => order1.start()),
      killAt(0.75, dispatch1.name, () => dispatch1.kill(), () => dispatch1.start()),
    ];

    // Stripe's side: each webhook at its time, sent again until it is acknowledged (2xx).
    let acknowledged = 0;
    const notAcknowledged = new Map<string, number>();
    let firstRefusal: number | undefined;
    let lastRefusal: number | undefined;
    const started = Date.now();
    let lastAcknowledged = started;
    await Promise.all(
      events.map(async (event, i) => {
        const due = started + (i * 1_000) / RATE;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
        for (let attempt = 1; ; attempt += 1) {
          const status = await deliver(sys.urls.ingress, sys.secrets.STRIPE_WEBHOOK_SECRET, event).catch(() => 0);
          if (status >= 200 && status < 300) break;
          const answer = status === 0 ? 'no connection' : String(status);
          notAcknowledged.set(answer, (notAcknowledged.get(answer) ?? 0) + 1);
          firstRefusal ??= Date.now() - started;
          lastRefusal = Date.now() - started;
          await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
        }
        acknowledged += 1;
        lastAcknowledged = Date.now();
        while (schedule.length > 0 && acknowledged >= schedule[0].at) schedule.shift()!.fire();
      }),
    );
    const sentMs = lastAcknowledged - started;
    await Promise.all(pending);

    // Every order at the partner, paid then fulfilled, and mailed.
    await until(sys, 'order.paid and order.fulfilled of every order at the partner', () => purchases.every((p) => partner.of(p.orderId).length >= 2), {
      timeoutMs: 300_000,
      intervalMs: 500,
    });
    const deliveredAt = Date.now();
    await until(sys, 'a confirmation mail for every order', () => purchases.every((p) => smtp.to(p.email).some((m) => /confirmed/i.test(m.subject))), {
      timeoutMs: 120_000,
      intervalMs: 500,
    });

    const fulfilled = await orderIdsWithStatus(sys, 'FULFILLED');
    expect(purchases.filter((p) => !fulfilled.has(p.orderId)).map((p) => p.orderId)).toEqual([]);
    // The partner acts on each webhook-id once, in the order of the order's events.
    const wrongOrder = purchases.filter((p) => partner.of(p.orderId).map((d) => d.type).join() !== 'order.paid,order.fulfilled');
    expect(wrongOrder.map((p) => [p.orderId, partner.of(p.orderId).map((d) => d.type)])).toEqual([]);
    expect(partner.conflictingRedeliveries()).toEqual([]);
    expect(partner.refused).toEqual([]);
    const ours = partner.deliveries.filter((d) => d.orderKey && ids.has(d.orderKey));
    const webhookIds = new Set(ours.map((d) => d.webhookId));
    expect(webhookIds.size).toBe(2 * ORDERS);
    // One confirmation per order: a resend after a crash keeps its Message-ID, so copies count once.
    const confirmations = purchases.map((p) => new Set(smtp.to(p.email).filter((m) => /confirmed/i.test(m.subject)).map((m) => m.messageId)).size);
    expect(confirmations.filter((n) => n !== 1)).toEqual([]);
    expect(await state.deadLetters()).toEqual({});
    const lag = await waitFor(
      async () => {
        const byGroup = await state.lag();
        return Object.values(byGroup).every((behind) => behind === 0) ? byGroup : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'every consumer group to commit up to the end of its topics' },
    ).catch(async (err: Error) => {
      const groups = await state.lagByPartition();
      const members = await Promise.all(Object.keys(groups).map(async (group) => [group, await state.members(group)] as const));
      throw new Error(`${err.message}: ${JSON.stringify(groups)}\nmembers: ${JSON.stringify(Object.fromEntries(members), null, 1)}\n${sys.diagnostics()}`);
    });
    expect(Object.keys(lag)).toEqual(expect.arrayContaining(['order-service', 'fulfillment-service', 'notification-service', 'outbound-dispatch-service']));
    expect(kills).toHaveLength(3);

    const mailCopies = purchases.reduce((sum, p) => sum + smtp.to(p.email).length, 0) - ORDERS;
    process.stdout.write(
      [
        `cluster e2e: ${sys.description}`,
        `  ${ORDERS} orders sent at ${RATE}/s in ${(sentMs / 1_000).toFixed(1)} s; answers not 2xx: ${notAcknowledged.size === 0 ? 'none' : `${[...notAcknowledged].map(([answer, n]) => `${n} × ${answer}`).join(', ')}, from ${((firstRefusal ?? 0) / 1_000).toFixed(1)} s to ${((lastRefusal ?? 0) / 1_000).toFixed(1)} s (each webhook sent again until acknowledged)`}`,
        ...kills.map((k) => `  kill -9 ${k.what} at ${(k.atMs / 1_000).toFixed(1)} s (${k.atAcknowledged} acknowledged); serving again ${k.downMs} ms later (start took ${k.restartMs} ms)`),
        `  all ${ORDERS} FULFILLED and at the partner ${((deliveredAt - started) / 1_000).toFixed(1)} s after the first webhook: drain ${((deliveredAt - lastAcknowledged) / 1_000).toFixed(1)} s after the last acknowledgement, ${(ORDERS / ((deliveredAt - started) / 1_000)).toFixed(1)} orders/s end to end`,
        `  partner: ${webhookIds.size} events verified with standardwebhooks, in order per order, 0 lost, 0 duplicated (${ours.length - webhookIds.size} redeliveries of the same webhook-id and body)`,
        `  mail: ${ORDERS} confirmations, one each (${mailCopies} other mails); dead letters: 0; consumer lag: 0 in ${Object.keys(lag).length} groups`,
        '',
      ].join('\n'),
    );
  }, 900_000);
});

/** Every order has a ticket or a licence; a third of them have both. */
function linesOf(i: number, licenseProduct: string): ItemLine[] {
  const ticket: ItemLine = { productId: 'conf-2027-pass', name: 'Conference pass 2027', quantity: 1, unitAmountCents: 4_900, kind: 'ticket', capacityKey: 'conf-2027' };
  const license: ItemLine = { productId: licenseProduct, name: 'Editor Pro licence', quantity: 1, unitAmountCents: 2_900, kind: 'license' };
  return i % 3 === 0 ? [ticket, license] : i % 3 === 1 ? [ticket] : [license];
}
