import type { Tx } from '@orderflow/db';
import type { FulfillmentOutcome } from '@orderflow/events';

/** Tickets in SQL, as the orders consumer and the job runner issue and void them (reads for the APIs: tickets.repository.ts). */

/** A seat to issue a ticket for. */
export interface Seat {
  id: string;
  code: string;
  orderId: string;
  instanceId: string | null;
  lineId: string;
  seat: number;
  capacityKey: string | null;
}

export interface TicketRow {
  id: string;
  orderId: string;
  lineId: string;
  seat: number;
  capacityKey: string | null;
  code: string;
}

/** A ticket for each of `seats` that has none yet (unique per line and seat); how many were created. */
export async function insertTickets(tx: Tx, seats: readonly Seat[]): Promise<number> {
  return tx.$executeRawUnsafe(
    `INSERT INTO tickets (id, code, order_id, instance_id, line_id, seat, capacity_key, status)
       SELECT s->>'id', s->>'code', s->>'orderId', s->>'instanceId', s->>'lineId', (s->>'seat')::int, s->>'capacityKey', 'ISSUED'
       FROM jsonb_array_elements($1::jsonb) AS seats(s)
       ON CONFLICT (line_id, seat) DO NOTHING`,
    JSON.stringify(seats),
  );
}

/** The tickets of the lines in $1 (a JSON array of line IDs), by line and seat. */
const TICKETS_OF_LINES = `
SELECT id, order_id AS "orderId", line_id AS "lineId", seat, capacity_key AS "capacityKey", code
FROM tickets WHERE line_id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY line_id, seat`;

export async function ticketsOfLines(tx: Tx, lineIds: readonly string[]): Promise<TicketRow[]> {
  return tx.$queryRawUnsafe<TicketRow[]>(TICKETS_OF_LINES, JSON.stringify(lineIds));
}

/** Voids the issued tickets of order $1; returns them by line and seat, as `fulfillment.voided` lists them. */
const VOID_TICKETS = `
WITH voided AS (
  UPDATE tickets SET status = 'VOIDED', voided_at = now() WHERE order_id = $1 AND status = 'ISSUED'
  RETURNING id, line_id, seat, capacity_key, code)
SELECT id AS "ticketId", line_id AS "lineId", seat, capacity_key AS "capacityKey", code FROM voided ORDER BY line_id, seat`;

export async function voidTickets(tx: Tx, orderId: string): Promise<NonNullable<FulfillmentOutcome['tickets']>> {
  return tx.$queryRawUnsafe<NonNullable<FulfillmentOutcome['tickets']>>(VOID_TICKETS, orderId);
}
