import { randomUUID } from 'node:crypto';
import { enqueue, enqueueMany, type Tx } from '@orderflow/db';
import type { OrderSnapshot } from '@orderflow/events';
import { TicketSigner } from '../adapters/ticket-signer';
import { setLockTimeout, type ClaimedJob } from '../data/job-rows';
import { heldUnits, licensesOfLine, takeKey } from '../data/license-key-rows';
import { insertTickets, ticketsOfLines } from '../data/ticket-rows';
import { PoolExhaustedError } from '../domain/attempts';
import { issuePlan, type Line } from '../domain/order-lines';
import { completion, firstRound, outcomeMessage, type Issued } from '../domain/outcomes';
import type { FulfillmentMetrics } from '../metrics';

/**
 * An order fulfilled: its tickets and license keys issued, `fulfillment.completed` in the outbox,
 * all in the caller's transaction or none. The job runner fulfills one claimed job at a time
 * (fulfillJob); the orders consumer fulfills the new orders of a run together (fulfillNewOrders).
 */

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
      for (const { line, issue } of issuePlan(order)) {
        if (issue === 'external') {
          issued.externalLineIds.push(line.lineId);
          this.metrics.fulfillments.inc({ kind: 'external', outcome: 'recorded' });
        } else if (issue === 'waitlisted') {
          issued.waitlistedLineIds.push(line.lineId);
        } else if (issue === 'tickets') {
          ticketLines.push({ issued, order, line });
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
    const created = await insertTickets(tx, seats);
    if (created > 0) this.metrics.fulfillments.inc({ kind: 'ticket', outcome: 'issued' }, created);
    const rows = await ticketsOfLines(tx, lines.map(({ line }) => line.lineId));
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

  /** A key from the product's pool for every unit of the line that has none; the line's keys by unit. */
  private async licenses(tx: Tx, order: OrderSnapshot, line: Line): Promise<Issued['licenses']> {
    const held = await heldUnits(tx, line.lineId);
    for (let unit = 0; unit < line.quantity; unit++) {
      if (held.has(unit)) continue;
      if (!(await takeKey(tx, line.productId, { orderId: order.orderId, instanceId: order.instanceId, lineId: line.lineId, unit }))) throw new PoolExhaustedError(line.productId);
      this.metrics.fulfillments.inc({ kind: 'license', outcome: 'issued' });
    }
    return licensesOfLine(tx, line.lineId);
  }
}

/** The job runner's claimed job fulfilled, its `fulfillment.completed` in the outbox. */
export async function fulfillJob(tx: Tx, fulfiller: Fulfiller, job: ClaimedJob): Promise<void> {
  const order = job.snapshot;
  const issued = await fulfiller.issue(tx, order);
  await enqueue(tx, outcomeMessage('fulfillment.completed', job, `fulfillment-${job.orderId}`, completion(job, order, issued)));
}

/**
 * The orders the consumer just gave a job (inserted COMPLETED) fulfilled, their
 * `fulfillment.completed` events in the outbox in one statement. Ticket issuing waits on locks at
 * most `lockTimeoutMs`, as in the job runner.
 */
export async function fulfillNewOrders(
  tx: Tx,
  deps: { fulfiller: Fulfiller; lockTimeoutMs: number },
  fulfilled: ReadonlyArray<{ order: OrderSnapshot; traceId: string }>,
): Promise<void> {
  if (fulfilled.length === 0) return;
  if (fulfilled.some((w) => w.order.lines.some((line) => line.kind === 'ticket'))) await setLockTimeout(tx, deps.lockTimeoutMs);
  const issued = await deps.fulfiller.issueAll(tx, fulfilled.map((w) => w.order));
  await enqueueMany(
    tx,
    fulfilled.map((w, i) => {
      const job = firstRound(w.order);
      return outcomeMessage('fulfillment.completed', job, w.traceId, completion(job, w.order, issued[i]!));
    }),
  );
}
