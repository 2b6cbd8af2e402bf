import { randomUUID } from 'node:crypto';
import type { FulfillmentOutcome, OrderSnapshot } from '@orderflow/events';
import type { Tx } from '@orderflow/db';
import { TicketSigner } from '../crypto/ticket-signer';
import type { FulfillmentMetrics } from '../fulfillment.metrics';

type Line = OrderSnapshot['lines'][number];

export type Issued = Required<Pick<FulfillmentOutcome, 'tickets' | 'licenses' | 'externalLineIds'>> & { waitlistedLineIds: string[] };

interface TicketRow {
  id: string;
  orderId: string;
  lineId: string;
  seat: number;
  capacityKey: string | null;
  code: string;
}

/** The tickets of the lines in $1 (a JSON array of line IDs), by line and seat. */
const TICKETS_OF_LINES = `
SELECT id, order_id AS "orderId", line_id AS "lineId", seat, capacity_key AS "capacityKey", code
FROM tickets WHERE line_id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY line_id, seat`;

/** The license keys of line $1, by unit, as an outcome lists them (IDs as text: int8 reads differ between drivers). */
const LICENSES_OF_LINE = `
SELECT id::text AS "licenseId", line_id AS "lineId", product_id AS "productId", coalesce(unit, 0) AS unit, key_hint AS "keyHint"
FROM license_keys WHERE line_id = $1 ORDER BY unit`;

/** A product's pool has no key left: the fulfillment fails until someone adds keys and retries. */
export class PoolExhaustedError extends Error {
  constructor(readonly productId: string) {
    super(`the license pool of product ${productId} is exhausted`);
    this.name = 'PoolExhaustedError';
  }
}

/**
 * Issues what an order's lines call for, inside the caller's transaction. Exactly once by
 * construction: a ticket is unique per (line, seat) and a license per (line, unit), so a
 * redelivered, replayed or retried fulfillment finds what exists and issues only what is missing.
 * A ticket line whose registration waits on the waitlist gets its tickets when it is promoted.
 */
export class Fulfiller {
  constructor(
    private readonly signer: TicketSigner,
    private readonly metrics: FulfillmentMetrics,
  ) {}

  async issue(tx: Tx, order: OrderSnapshot): Promise<Issued> {
    return (await this.issueAll(tx, [order]))[0]!;
  }

  /**
   * `issue` for several orders at once (the consumer's run): all their tickets in two statements,
   * not two per line and one per seat. Results in the orders' order.
   */
  async issueAll(tx: Tx, orders: readonly OrderSnapshot[]): Promise<Issued[]> {
    const results = orders.map((): Issued => ({ tickets: [], licenses: [], externalLineIds: [], waitlistedLineIds: [] }));
    const ticketLines: Array<{ issued: Issued; order: OrderSnapshot; line: Line }> = [];
    for (const [i, order] of orders.entries()) {
      const issued = results[i]!;
      const waitlisted = new Set(order.registrations.filter((r) => r.status !== 'ACTIVE' && r.status !== 'PENDING').map((r) => r.lineId));
      for (const line of order.lines) {
        if (line.kind === 'external') {
          issued.externalLineIds.push(line.lineId);
          this.metrics.fulfillments.inc({ kind: 'external', outcome: 'recorded' });
        } else if (line.kind === 'ticket') {
          if (waitlisted.has(line.lineId)) issued.waitlistedLineIds.push(line.lineId);
          else ticketLines.push({ issued, order, line });
        } else {
          issued.licenses.push(...(await this.licenses(tx, order, line)));
        }
      }
    }
    const tickets = await this.tickets(tx, ticketLines);
    for (const { issued, line } of ticketLines) issued.tickets.push(...tickets.get(line.lineId)!);
    return results;
  }

  /** Every seat of `lines` that has no ticket yet gets one; returns each line's tickets by seat. */
  private async tickets(tx: Tx, lines: ReadonlyArray<{ order: OrderSnapshot; line: Line }>): Promise<Map<string, Issued['tickets']>> {
    if (lines.length === 0) return new Map();
    const seats = lines.flatMap(({ order, line }) =>
      Array.from({ length: line.quantity }, (_, seat) => ({
        id: `tkt_${randomUUID()}`,
        code: TicketSigner.newCode(),
        orderId: order.orderId,
        instanceId: order.instanceId,
        lineId: line.lineId,
        seat,
        capacityKey: line.capacityKey,
      })),
    );
    const created = await tx.$executeRawUnsafe(
      `INSERT INTO tickets (id, code, order_id, instance_id, line_id, seat, capacity_key, status)
       SELECT s->>'id', s->>'code', s->>'orderId', s->>'instanceId', s->>'lineId', (s->>'seat')::int, s->>'capacityKey', 'ISSUED'
       FROM jsonb_array_elements($1::jsonb) AS seats(s)
       ON CONFLICT (line_id, seat) DO NOTHING`,
      JSON.stringify(seats),
    );
    if (created > 0) this.metrics.fulfillments.inc({ kind: 'ticket', outcome: 'issued' }, created);
    const rows = await tx.$queryRawUnsafe<TicketRow[]>(TICKETS_OF_LINES, JSON.stringify(lines.map(({ line }) => line.lineId)));
    const byLine = new Map(lines.map(({ line }): [string, Issued['tickets']] => [line.lineId, []]));
    for (const t of rows) {
      byLine.get(t.lineId)!.push({
        ticketId: t.id,
        lineId: t.lineId,
        seat: t.seat,
        capacityKey: t.capacityKey,
        code: t.code,
        qrPayload: this.signer.sign({ ticketId: t.id, orderId: t.orderId, capacityKey: t.capacityKey }),
      });
    }
    return byLine;
  }

  private async licenses(tx: Tx, order: OrderSnapshot, line: Line): Promise<Issued['licenses']> {
    const held = new Set((await tx.$queryRawUnsafe<Array<{ unit: number }>>('SELECT unit FROM license_keys WHERE line_id = $1', line.lineId)).map((k) => k.unit));
    for (let unit = 0; unit < line.quantity; unit++) {
      if (held.has(unit)) continue;
      // The oldest free key; SKIP LOCKED lets concurrent fulfillments take different keys.
      const taken = await tx.$queryRawUnsafe<Array<{ id: bigint }>>(
        `UPDATE license_keys SET status = 'ASSIGNED', order_id = $2, instance_id = $3, line_id = $4, unit = $5, assigned_at = now()
         WHERE id = (SELECT id FROM license_keys WHERE product_id = $1 AND status = 'AVAILABLE' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING id`,
        line.productId,
        order.orderId,
        order.instanceId,
        line.lineId,
        unit,
      );
      if (taken.length === 0) throw new PoolExhaustedError(line.productId);
      this.metrics.fulfillments.inc({ kind: 'license', outcome: 'issued' });
    }
    return tx.$queryRawUnsafe<Issued['licenses']>(LICENSES_OF_LINE, line.lineId);
  }
}
