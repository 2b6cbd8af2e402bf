#!/usr/bin/env node
// The baseline of bench/e2e-orders.mjs: the Stripe webhook handler seed 001 sketches, everything
// inside the request. For each `payment_intent.succeeded`:
//
//   1. verify the Stripe signature (the stripe package, 401 when it fails);
//   2. one transaction: record the event ID (the idempotency check: a duplicate ends here with
//      200), find the order by its PaymentIntent (created from the metadata when this shop has
//      not seen it, as Orderflow does), PENDING → PAID, registrations ACTIVE, a payment record;
//   3. fulfil (seed 001's fulfillOrder, its own transaction): a ticket per seat of each ticket
//      line, with a random code and an HMAC-signed QR payload, and the order FULFILLED;
//   4. the confirmation mail over SMTP, each ticket's QR code drawn as an inline PNG (what
//      Orderflow's mail carries);
//   5. `order.fulfilled` to the partner, signed as Standard Webhooks signs it;
//   6. 200. Any failure answers 500 (Stripe would retry), so the bench counts it.
//
// Fair to it: a pg pool (DB_POOL_SIZE, default 10 as the services use) with named prepared
// statements, a pooled SMTP transport (SMTP_CONNECTIONS, default 10: one mail per request in
// flight, unlike Orderflow's one queued connection), keep-alive to the partner. Without
// BASELINE_DATABASE_URL it keeps its tables in PGlite under BASELINE_DATA_DIR, one connection,
// as each Orderflow service does in one-machine mode.
//
//   STRIPE_WEBHOOK_SECRET=whsec_... SMTP_URL=smtp://127.0.0.1:2525 PARTNER_URL=http://127.0.0.1:4000/baseline \
//     PARTNER_SECRET=whsec_... TICKET_SIGNING_KEY=... BASELINE_DATA_DIR=/tmp/x node bench/support/seed001-baseline.mjs
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import express from 'express';
import { createTransport } from 'nodemailer';
import QRCode from 'qrcode';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const STRIPE_WEBHOOK_SECRET = env('STRIPE_WEBHOOK_SECRET');
const PARTNER_URL = new URL(env('PARTNER_URL'));
const partner = new Webhook(env('PARTNER_SECRET'));
const TICKET_SIGNING_KEY = env('TICKET_SIGNING_KEY');
const MAIL_FROM = env('MAIL_FROM', 'Seed 001 shop <shop@baseline.example>');
const stripe = new Stripe('sk_test_baseline_not_used');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS webhook_events (id text PRIMARY KEY, type text NOT NULL, payload jsonb NOT NULL, processed_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS orders (
  id text PRIMARY KEY, instance_id text, status text NOT NULL, provider_checkout_ref text UNIQUE, customer_email text,
  total_cents integer NOT NULL, currency text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS order_lines (
  id text PRIMARY KEY, order_id text NOT NULL REFERENCES orders (id), position integer NOT NULL, product_id text NOT NULL, name text,
  quantity integer NOT NULL, unit_amount_cents integer NOT NULL, kind text NOT NULL, capacity_key text);
CREATE INDEX IF NOT EXISTS order_lines_order ON order_lines (order_id);
CREATE TABLE IF NOT EXISTS registrations (
  id text PRIMARY KEY, order_id text NOT NULL REFERENCES orders (id), line_id text NOT NULL, capacity_key text NOT NULL, status text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS registrations_order ON registrations (order_id);
CREATE TABLE IF NOT EXISTS payments (
  id bigserial PRIMARY KEY, order_id text NOT NULL REFERENCES orders (id), provider text NOT NULL, provider_payment_ref text NOT NULL,
  status text NOT NULL, amount_cents integer NOT NULL, currency text NOT NULL, raw_payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS payments_order ON payments (order_id);
CREATE TABLE IF NOT EXISTS tickets (
  id text PRIMARY KEY, code text NOT NULL UNIQUE, order_id text NOT NULL REFERENCES orders (id), line_id text NOT NULL, seat integer NOT NULL,
  capacity_key text, status text NOT NULL, UNIQUE (line_id, seat));
CREATE INDEX IF NOT EXISTS tickets_order ON tickets (order_id);
`;

/** Statements by name: pg prepares each once per connection and reuses it. */
const SQL = {
  markEvent: 'INSERT INTO webhook_events (id, type, payload) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
  orderByIntent: 'SELECT id, status FROM orders WHERE provider_checkout_ref = $1 FOR UPDATE',
  createOrder: `INSERT INTO orders (id, instance_id, status, provider_checkout_ref, customer_email, total_cents, currency) VALUES ($1, $2, 'PENDING', $3, $4, $5, $6)`,
  createLine: 'INSERT INTO order_lines (id, order_id, position, product_id, name, quantity, unit_amount_cents, kind, capacity_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
  createRegistration: `INSERT INTO registrations (id, order_id, line_id, capacity_key, status) VALUES ($1, $2, $3, $4, 'PENDING')`,
  linesOf: 'SELECT id, product_id, name, quantity, unit_amount_cents, kind, capacity_key FROM order_lines WHERE order_id = $1 ORDER BY position',
  setStatus: 'UPDATE orders SET status = $2, updated_at = now() WHERE id = $1',
  activateRegistrations: `UPDATE registrations SET status = 'ACTIVE', updated_at = now() WHERE order_id = $1`,
  createPayment: `INSERT INTO payments (order_id, provider, provider_payment_ref, status, amount_cents, currency, raw_payload) VALUES ($1, 'stripe', $2, 'SUCCEEDED', $3, $4, $5)`,
  createTicket: `INSERT INTO tickets (id, code, order_id, line_id, seat, capacity_key, status) VALUES ($1, $2, $3, $4, $5, $6, 'ISSUED') ON CONFLICT (line_id, seat) DO NOTHING`,
};

/** `transaction(fn)`: fn gets `run(name, values)` and runs inside BEGIN … COMMIT. */
async function openDatabase() {
  if (process.env.BASELINE_DATABASE_URL) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: process.env.BASELINE_DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 10) });
    pool.on('error', () => undefined);
    await pool.query(SCHEMA);
    return {
      async transaction(fn) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn((name, values) => client.query({ name, text: SQL[name], values }));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create({ dataDir: env('BASELINE_DATA_DIR') });
  await pglite.exec(SCHEMA);
  return {
    transaction: (fn) => pglite.transaction((tx) => fn((name, values) => tx.query(SQL[name], values))),
    close: () => pglite.close(),
  };
}

/** Rows changed by a write, from pg (`rowCount`) or PGlite (`affectedRows`). */
const changed = (result) => result.rowCount ?? result.affectedRows ?? 0;

function parseItems(raw, amount) {
  try {
    const items = JSON.parse(raw ?? '');
    if (Array.isArray(items) && items.length > 0) return items;
  } catch {
    // no items: one line for the whole amount, as Orderflow does
  }
  return [{ productId: 'external', quantity: 1, unitAmountCents: amount, kind: 'external' }];
}

/** Step 2: the order paid, in one transaction with the event's idempotency row. Null for a duplicate. */
async function paymentSucceeded(db, event) {
  const pi = event.data.object;
  const metadata = pi.metadata ?? {};
  return db.transaction(async (run) => {
    if (changed(await run('markEvent', [event.id, event.type, JSON.stringify({ id: event.id, type: event.type })])) === 0) return null;
    let order = (await run('orderByIntent', [pi.id])).rows[0];
    if (!order) {
      order = { id: metadata.orderId ?? `ord_${randomUUID()}`, status: 'PENDING' };
      const email = metadata.customerEmail ?? pi.receipt_email ?? null;
      await run('createOrder', [order.id, metadata.instanceId ?? null, pi.id, email, pi.amount, pi.currency]);
      const items = parseItems(metadata.items, pi.amount);
      for (const [position, item] of items.entries()) {
        const lineId = `line_${randomUUID()}`;
        await run('createLine', [lineId, order.id, position, item.productId, item.name ?? null, item.quantity ?? 1, item.unitAmountCents ?? 0, item.kind ?? 'external', item.capacityKey ?? null]);
        if (item.kind === 'ticket' && item.capacityKey) await run('createRegistration', [`reg_${randomUUID()}`, order.id, lineId, item.capacityKey]);
      }
    }
    if (order.status !== 'PENDING') return null;
    await run('setStatus', [order.id, 'PAID']);
    await run('activateRegistrations', [order.id]);
    await run('createPayment', [order.id, pi.id, pi.amount_received ?? pi.amount, pi.currency, JSON.stringify(pi)]);
    const lines = (await run('linesOf', [order.id])).rows;
    return { orderId: order.id, instanceId: metadata.instanceId ?? null, email: metadata.customerEmail ?? pi.receipt_email ?? null, amount: pi.amount, currency: pi.currency, lines };
  });
}

/** Orderflow's ticket QR payload: `OF1.<ticketId>.<orderId>.<capacityKey>.<HMAC-SHA256>`, base64url parts. */
function signTicket(ticketId, orderId, capacityKey) {
  const body = ['OF1', ticketId, orderId, capacityKey ?? ''].map((p) => Buffer.from(p).toString('base64url')).join('.');
  return `${body}.${createHmac('sha256', TICKET_SIGNING_KEY).update(body).digest('base64url')}`;
}

/** Step 3: seed 001's fulfillOrder. */
async function fulfil(db, order) {
  return db.transaction(async (run) => {
    const tickets = [];
    for (const line of order.lines.filter((l) => l.kind === 'ticket')) {
      for (let seat = 0; seat < line.quantity; seat++) {
        const ticket = { ticketId: `tkt_${randomUUID()}`, code: randomBytes(16).toString('base64url'), lineId: line.id, seat, name: line.name ?? line.product_id };
        await run('createTicket', [ticket.ticketId, ticket.code, order.orderId, line.id, seat, line.capacity_key]);
        tickets.push({ ...ticket, qrPayload: signTicket(ticket.ticketId, order.orderId, line.capacity_key) });
      }
    }
    await run('setStatus', [order.orderId, 'FULFILLED']);
    return tickets;
  });
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const money = (cents, currency) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

/** Step 4: the confirmation, with the QR codes Orderflow's mail carries (error correction M, 400 px). */
async function sendConfirmation(transport, order, tickets) {
  if (!order.email) return;
  const items = order.lines.map((l) => `${l.quantity} × ${l.name ?? l.product_id}  ${money(l.quantity * l.unit_amount_cents, order.currency)}`);
  const text = [`Thank you for your order ${order.orderId}.`, '', ...items, `Total ${money(order.amount, order.currency)}`, '', ...tickets.map((t) => `Ticket ${t.name}, seat ${t.seat + 1}: ${t.code}`)].join('\n');
  const html = `<!doctype html><html><body><h1>Thank you for your order</h1><p>Order <strong>${escapeHtml(order.orderId)}</strong></p><ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>${tickets
    .map((t) => `<p>${escapeHtml(t.name)}, seat ${t.seat + 1}: <code>${escapeHtml(t.code)}</code><br><img src="cid:qr-${t.ticketId}@baseline" alt="QR code" width="200" height="200"></p>`)
    .join('')}</body></html>`;
  const attachments = await Promise.all(
    tickets.map(async (t) => ({
      cid: `qr-${t.ticketId}@baseline`,
      filename: `qr-${t.ticketId}.png`,
      contentType: 'image/png',
      content: await QRCode.toBuffer(t.qrPayload, { errorCorrectionLevel: 'M', margin: 2, width: 400 }),
    })),
  );
  await transport.sendMail({ from: MAIL_FROM, to: order.email, subject: `Your order ${order.orderId} is confirmed`, text, html, attachments });
}

const partnerAgent = new Agent({ keepAlive: true, maxSockets: 64 });

/** Step 5: `order.fulfilled` to the partner; anything but 2xx fails the request. */
function notifyPartner(order, tickets) {
  const now = new Date();
  const id = `order.fulfilled:${order.orderId}`;
  const body = JSON.stringify({
    type: 'order.fulfilled',
    timestamp: now.toISOString(),
    data: {
      orderId: order.orderId,
      instanceId: order.instanceId,
      status: 'FULFILLED',
      currency: order.currency,
      totalCents: order.amount,
      customer: { email: order.email },
      lines: order.lines.map((l) => ({ lineId: l.id, productId: l.product_id, name: l.name, quantity: l.quantity, unitAmountCents: l.unit_amount_cents, kind: l.kind, capacityKey: l.capacity_key })),
      tickets: tickets.map((t) => ({ ticketId: t.ticketId, lineId: t.lineId, seat: t.seat, code: t.code })),
    },
  });
  const headers = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': partner.sign(id, now, body),
  };
  return new Promise((resolve, reject) => {
    const req = request({ host: PARTNER_URL.hostname, port: PARTNER_URL.port, path: PARTNER_URL.pathname, method: 'POST', headers, agent: partnerAgent, timeout: 15_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? resolve() : reject(new Error(`partner answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('partner timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const db = await openDatabase();
  const connections = Number(process.env.SMTP_CONNECTIONS ?? 10);
  const transport = createTransport({ url: env('SMTP_URL'), pool: true, maxConnections: connections, maxMessages: Infinity, disableFileAccess: true, disableUrlAccess: true });
  let failures = 0;

  const app = express();
  app.post('/api/webhooks/stripe', express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
    const signature = req.get('stripe-signature');
    if (!signature) return res.status(401).send('No signature');
    let event;
    try {
      event = stripe.webhooks.constructEvent(req.body, signature, STRIPE_WEBHOOK_SECRET);
    } catch {
      return res.status(401).send('Invalid signature');
    }
    try {
      if (event.type === 'payment_intent.succeeded') {
        const order = await paymentSucceeded(db, event);
        if (order) {
          const tickets = await fulfil(db, order);
          await sendConfirmation(transport, order, tickets);
          await notifyPartner(order, tickets);
        }
      }
      res.status(200).send('OK');
    } catch (err) {
      // One line per kind of failure is enough to see what broke; no payload, no secrets.
      if (failures++ < 5) console.error(`baseline: ${event.id} failed: ${err instanceof Error ? err.message : String(err)}`);
      res.status(500).send('Error');
    }
  });

  const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`baseline listening on 127.0.0.1:${server.address().port}`));
  server.keepAliveTimeout = 60_000;
  process.once('SIGTERM', () => {
    server.close(async () => {
      transport.close();
      partnerAgent.destroy();
      await db.close();
      if (failures > 0) console.error(`baseline: ${failures} requests failed`);
      process.exit(0);
    });
    server.closeIdleConnections();
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
