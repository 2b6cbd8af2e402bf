import type { Tx } from '@orderflow/db';
import { ORDER_REFERENCES, type LoadedOrder, type OrderPatch, type OrderReference } from '../domain/order';
import type { PaymentRow } from '../domain/payments';
import type { Order, OrderLine, Registration } from '../generated/prisma/client';

/**
 * The order service's hot path in SQL rather than through the Prisma query builder: an order with
 * its lines and registrations is one statement instead of three, and a change with its
 * transition record is one statement returning the new row. Every consumed payment event reads
 * and changes orders several times, so this is most of what an event costs.
 *
 * Rows come back in the shape Prisma's client gives (camelCase fields, Dates), so the rest of
 * the service keeps working with `LoadedOrder`.
 */

/** Order columns as the client's field names. */
const ORDER_FIELDS: Record<keyof Order, string> = {
  id: 'id',
  instanceId: 'instance_id',
  source: 'source',
  status: 'status',
  providerCheckoutRef: 'provider_checkout_ref',
  checkoutSessionId: 'checkout_session_id',
  wixOrderId: 'wix_order_id',
  wixOrderNumber: 'wix_order_number',
  cartId: 'cart_id',
  checkoutId: 'checkout_id',
  externalReference: 'external_reference',
  currency: 'currency',
  totalCents: 'total_cents',
  refundedCents: 'refunded_cents',
  customerEmail: 'customer_email',
  customerName: 'customer_name',
  reason: 'reason',
  fulfillmentFailure: 'fulfillment_failure',
  version: 'version',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

/** The order's columns under the client's field names, e.g. `o.instance_id AS "instanceId"`. */
const orderColumns = (qualifier = '') =>
  Object.entries(ORDER_FIELDS)
    .map(([field, column]) => `${qualifier}${column} AS "${field}"`)
    .join(', ');

const LINES = `COALESCE((SELECT json_agg(json_build_object(
    'id', l.id, 'orderId', l.order_id, 'productId', l.product_id, 'name', l.name, 'quantity', l.quantity,
    'unitAmountCents', l.unit_amount_cents, 'kind', l.kind, 'capacityKey', l.capacity_key, 'position', l.position
  ) ORDER BY l.position) FROM order_lines l WHERE l.order_id = o.id), '[]'::json)`;

const REGISTRATIONS = `COALESCE((SELECT json_agg(json_build_object(
    'id', r.id, 'orderId', r.order_id, 'lineId', r.line_id, 'capacityKey', r.capacity_key, 'quantity', r.quantity,
    'status', r.status, 'createdAt', r.created_at, 'updatedAt', r.updated_at
  ) ORDER BY r.created_at, r.id) FROM registrations r WHERE r.order_id = o.id), '[]'::json)`;

/** An order (`o`) with its lines and registrations, for a WHERE clause to follow. */
const SELECT_LOADED = `SELECT ${orderColumns('o.')}, ${LINES} AS lines, ${REGISTRATIONS} AS registrations FROM orders o`;

type OrderRow = Order & { lines?: unknown; registrations?: unknown };

const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));

function orderOf(row: OrderRow): Order {
  const { lines: _lines, registrations: _registrations, ...order } = row;
  return { ...order, createdAt: toDate(order.createdAt), updatedAt: toDate(order.updatedAt) };
}

const parsed = <T>(value: unknown): T[] => (typeof value === 'string' ? JSON.parse(value) : (value as T[])) ?? [];

function loadedOf(row: OrderRow): LoadedOrder {
  return {
    ...orderOf(row),
    lines: parsed<OrderLine>(row.lines),
    registrations: parsed<Registration>(row.registrations).map((r) => ({ ...r, createdAt: toDate(r.createdAt), updatedAt: toDate(r.updatedAt) })),
  };
}

/**
 * Locks the order found by `reference` (`FOR UPDATE`) and reads it with its lines and
 * registrations, or returns null: one statement for an order without ticket lines, two for one
 * with them. In READ COMMITTED a statement that waited for the lock re-reads the locked row, but
 * its subqueries keep the snapshot from before the wait, so the registrations the previous holder
 * committed could be missing; an order's registrations (only ticket lines have any) are therefore
 * read again by a statement of their own once the lock is held. Its lines never change, and its
 * own columns are the re-read row's.
 */
export async function lockAndLoad(tx: Tx, reference: OrderReference, value: string): Promise<LoadedOrder | null> {
  const rows = await tx.$queryRawUnsafe<OrderRow[]>(
    `${SELECT_LOADED} WHERE o.${ORDER_FIELDS[reference]} = $1 FOR UPDATE OF o`,
    value,
  );
  return rows[0] ? reloadedIfTicketed(tx, loadedOf(rows[0])) : null;
}

/** An order just locked, read again if it has ticket lines (see `lockAndLoad`). */
function reloadedIfTicketed(tx: Tx, order: LoadedOrder): Promise<LoadedOrder | null> | LoadedOrder {
  return order.lines.some((line) => line.kind === 'ticket') ? loadOrder(tx, order.id) : order;
}

/**
 * `lockAndLoad` of the first of `references` (in their order) that finds an order, in one
 * statement however many there are: a payment looks its order up by the PaymentIntent, then by
 * the IDs its metadata names, and a new order misses them all.
 */
export async function lockAndLoadFirst(tx: Tx, references: ReadonlyArray<readonly [OrderReference, string | null]>): Promise<LoadedOrder | null> {
  const given = references.filter((reference): reference is [OrderReference, string] => reference[1] !== null);
  if (given.length <= 1) return given[0] ? lockAndLoad(tx, ...given[0]) : null;
  const candidates = given.map(([reference], i) => `SELECT id, ${i} AS rank FROM orders WHERE ${ORDER_FIELDS[reference]} = $${i + 1}`).join(' UNION ALL ');
  const rows = await tx.$queryRawUnsafe<OrderRow[]>(
    `${SELECT_LOADED} WHERE o.id = (SELECT id FROM (${candidates}) AS candidates ORDER BY rank LIMIT 1) FOR UPDATE OF o`,
    ...given.map(([, value]) => value),
  );
  return rows[0] ? reloadedIfTicketed(tx, loadedOf(rows[0])) : null;
}

/**
 * Locks and reads, in one statement, every order any of `references` finds, in ID order (so two
 * transactions locking overlapping sets cannot deadlock), with their lines and registrations;
 * those with ticket lines are read again once locked, as `lockAndLoad` does.
 */
export async function lockAndLoadAll(tx: Tx, references: ReadonlyArray<readonly [OrderReference, string]>): Promise<LoadedOrder[]> {
  const values = ORDER_REFERENCES.map((reference) => [...new Set(references.filter(([r]) => r === reference).map(([, value]) => value))]);
  const candidates = ORDER_REFERENCES.map((reference, i) => `SELECT id FROM orders WHERE ${ORDER_FIELDS[reference]} = ANY($${i + 1}::text[])`).join(' UNION ');
  const rows = await tx.$queryRawUnsafe<OrderRow[]>(`${SELECT_LOADED} WHERE o.id IN (${candidates}) ORDER BY o.id FOR UPDATE OF o`, ...values);
  const orders: LoadedOrder[] = [];
  for (const row of rows) {
    const order = await reloadedIfTicketed(tx, loadedOf(row));
    if (order) orders.push(order);
  }
  return orders;
}

/** The order with its lines (by position) and registrations (oldest first), in one statement. */
export async function loadOrder(tx: Tx, id: string): Promise<LoadedOrder | null> {
  const rows = await tx.$queryRawUnsafe<OrderRow[]>(`${SELECT_LOADED} WHERE o.id = $1`, id);
  return rows[0] ? loadedOf(rows[0]) : null;
}

export interface StatusChange {
  from: string;
  to: string;
  reason: string | null;
  cause: string;
  eventId: string | null;
}

/**
 * Updates the order's fields and, with `steps`, moves it through them: the status and reason of
 * the last, the version up by one a step, and a transition record for each step (in order), in
 * the same statement. Returns the order with the new row and the lines and registrations of
 * `order`, which an update of the order row does not touch.
 */
export async function updateOrder(tx: Tx, order: LoadedOrder, patch: OrderPatch, steps: readonly StatusChange[] = []): Promise<LoadedOrder> {
  const at = new Date();
  const values: unknown[] = [order.id, at.toISOString()];
  const sets = ['updated_at = $2::timestamptz'];
  for (const [field, value] of Object.entries(patch)) {
    values.push(value);
    sets.push(`${ORDER_FIELDS[field as keyof Order]} = $${values.length}`);
  }
  let transitions = '';
  const last = steps.at(-1);
  if (last) {
    values.push(last.to, last.reason, steps.length, JSON.stringify(steps));
    const n = values.length;
    sets.push(`status = $${n - 3}`, `reason = $${n - 2}`, `version = version + $${n - 1}::int`);
    transitions = `, logged AS (
      INSERT INTO order_transitions (order_id, from_status, to_status, applied, cause, event_id, reason, at)
      SELECT id, s->>'from', s->>'to', true, s->>'cause', s->>'eventId', s->>'reason', $2::timestamptz
      FROM updated, jsonb_array_elements($${n}::jsonb) WITH ORDINALITY AS steps (s, n) ORDER BY steps.n)`;
  }
  const rows = await tx.$queryRawUnsafe<OrderRow[]>(
    `WITH updated AS (UPDATE orders SET ${sets.join(', ')} WHERE id = $1 RETURNING ${orderColumns()})${transitions} SELECT * FROM updated`,
    ...values,
  );
  if (!rows[0]) throw new Error(`order ${order.id} vanished while locked`);
  return { ...orderOf(rows[0]), lines: order.lines, registrations: order.registrations };
}

/** An order to insert (see insertOrders). */
export interface OrderInsert {
  /** As it stands after `steps` (its status and version are the caller's). */
  order: Order;
  lines: OrderLine[];
  cause: { kind: string; eventId: string | null };
  steps: readonly StatusChange[];
  payment?: PaymentRow;
}

/**
 * Inserts orders with their lines and their transitions (NEW → PENDING, then each one's `steps`
 * in order), and the payment each came with, in one statement however many there are. The order
 * goes in as it stands after its `steps` (its status and version are the caller's).
 */
const INSERT_ORDERS = `
WITH input AS (SELECT x, n FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS i (x, n)),
inserted AS (
  INSERT INTO orders (${Object.values(ORDER_FIELDS).join(', ')})
  SELECT ${Object.values(ORDER_FIELDS).map((column) => `r.${column}`).join(', ')}
  FROM input, jsonb_populate_record(NULL::orders, input.x->'order') AS r ORDER BY input.n
  RETURNING id),
lines AS (
  INSERT INTO order_lines (id, order_id, product_id, name, quantity, unit_amount_cents, kind, capacity_key, position)
  SELECT l->>'id', inserted.id, l->>'productId', l->>'name', (l->>'quantity')::int, (l->>'unitAmountCents')::int,
         l->>'kind', l->>'capacityKey', (l->>'position')::int
  FROM input JOIN inserted ON inserted.id = input.x->'order'->>'id', jsonb_array_elements(input.x->'lines') AS l),
paid AS (
  INSERT INTO payments (order_id, provider, provider_payment_ref, status, amount_cents, currency, event_id, raw_payload)
  SELECT inserted.id, p->>'provider', p->>'providerPaymentRef', p->>'status', (p->>'amountCents')::int, p->>'currency', p->>'eventId', (p->>'raw')::jsonb
  FROM input JOIN inserted ON inserted.id = input.x->'order'->>'id', LATERAL (SELECT input.x->'payment' AS p) AS given
  WHERE jsonb_typeof(p) = 'object' ORDER BY input.n),
logged AS (
  INSERT INTO order_transitions (order_id, from_status, to_status, applied, cause, event_id, reason, at)
  SELECT inserted.id, s->>'from', s->>'to', true, s->>'cause', s->>'eventId', s->>'reason', (input.x->'order'->>'created_at')::timestamptz
  FROM input JOIN inserted ON inserted.id = input.x->'order'->>'id', jsonb_array_elements(input.x->'transitions') WITH ORDINALITY AS steps (s, m)
  ORDER BY input.n, steps.m)
SELECT count(*)::int AS inserted FROM inserted`;

export async function insertOrders(tx: Tx, inserts: readonly OrderInsert[]): Promise<void> {
  if (inserts.length === 0) return;
  const input = inserts.map(({ order, lines, cause, steps, payment }) => ({
    order: Object.fromEntries(Object.entries(ORDER_FIELDS).map(([field, column]) => [column, order[field as keyof Order]])),
    lines,
    transitions: [{ from: null, to: 'PENDING', reason: null, cause: cause.kind, eventId: cause.eventId }, ...steps],
    payment: payment ?? null,
  }));
  await tx.$queryRawUnsafe(INSERT_ORDERS, JSON.stringify(input));
}

/** `insertOrders` of one. */
export async function insertOrder(
  tx: Tx,
  order: Order,
  lines: OrderLine[],
  cause: { kind: string; eventId: string | null },
  steps: readonly StatusChange[] = [],
  payment?: PaymentRow,
): Promise<LoadedOrder> {
  await insertOrders(tx, [{ order, lines, cause, steps, payment }]);
  return { ...order, lines, registrations: [] };
}

/** A change to a locked order: the fields `patch` sets, and `steps` as `updateOrder` makes them. */
export interface OrderUpdate {
  id: string;
  at: Date;
  patch: OrderPatch;
  steps: readonly StatusChange[];
}

/** The patchable fields as columns, each set only where an update's patch (`p`, typed as a row) has it. */
const PATCHED = (['refundedCents', 'providerCheckoutRef', 'checkoutSessionId', 'wixOrderNumber', 'externalReference', 'fulfillmentFailure', 'customerEmail', 'customerName'] as const).map(
  (field) => `${ORDER_FIELDS[field]} = CASE WHEN v.patch ? '${ORDER_FIELDS[field]}' THEN p.${ORDER_FIELDS[field]} ELSE o.${ORDER_FIELDS[field]} END`,
);

/**
 * `updateOrder` of several orders in one statement, returning nothing: each order's new row is
 * what its caller, holding its lock, already knows (see `afterUpdate`). An order appears once.
 */
const UPDATE_ORDERS = `
WITH v AS (
  SELECT x->>'id' AS id, (x->>'at')::timestamptz AS at, x->'patch' AS patch, jsonb_array_length(x->'steps') AS steps,
         x->'steps'->-1->>'to' AS status, x->'steps'->-1->>'reason' AS reason, x->'steps' AS transitions, n
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS input (x, n)),
updated AS (
  UPDATE orders o SET updated_at = v.at,
    status = CASE WHEN v.steps > 0 THEN v.status ELSE o.status END,
    reason = CASE WHEN v.steps > 0 THEN v.reason ELSE o.reason END,
    version = o.version + v.steps,
    ${PATCHED.join(',\n    ')}
  FROM v, jsonb_populate_record(NULL::orders, v.patch) AS p WHERE o.id = v.id
  RETURNING o.id),
logged AS (
  INSERT INTO order_transitions (order_id, from_status, to_status, applied, cause, event_id, reason, at)
  SELECT v.id, s->>'from', s->>'to', true, s->>'cause', s->>'eventId', s->>'reason', v.at
  FROM v JOIN updated ON updated.id = v.id, jsonb_array_elements(v.transitions) WITH ORDINALITY AS steps (s, m)
  ORDER BY v.n, steps.m)
SELECT count(*)::int AS updated FROM updated`;

export async function updateOrders(tx: Tx, updates: readonly OrderUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  const input = updates.map(({ id, at, patch, steps }) => ({
    id,
    at: at.toISOString(),
    patch: Object.fromEntries(Object.entries(patch).map(([field, value]) => [ORDER_FIELDS[field as keyof Order], value])),
    steps,
  }));
  const [row] = await tx.$queryRawUnsafe<Array<{ updated: number }>>(UPDATE_ORDERS, JSON.stringify(input));
  if (row?.updated !== updates.length) throw new Error(`${updates.length - (row?.updated ?? 0)} of ${updates.length} orders vanished while locked`);
}

/** The order as `update` leaves it, from the row its caller locked and read. */
export function afterUpdate(order: LoadedOrder, { at, patch, steps }: OrderUpdate): LoadedOrder {
  const last = steps.at(-1);
  return { ...order, ...patch, updatedAt: at, ...(last ? { status: last.to, reason: last.reason, version: order.version + steps.length } : {}) };
}
