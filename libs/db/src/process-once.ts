import { isTransactional, type RawSqlClient, type TransactionalClient } from './prisma-client';

export interface ProcessOnceKey {
  /** Who handles the event, e.g. `order.payment-succeeded`: two consumers of one event are independent. */
  consumer: string;
  /** The event's own ID (the envelope's), stable across redeliveries. */
  eventId: string;
}

export type ProcessOnceResult<R> = { duplicate: false; result: R } | { duplicate: true };

/**
 * Runs `effects` at most once per (consumer, eventId): the processed_events row and the
 * effects commit or roll back together, so a redelivered event either finds the row (already
 * done) or finds nothing (the earlier attempt rolled back) and runs again.
 *
 * Given a PrismaClient it opens the transaction; given a transaction client it joins the
 * caller's transaction. The insert uses ON CONFLICT DO NOTHING rather than catching a unique
 * violation: a failed statement would abort the caller's transaction, and the error mapping
 * differs between driver adapters. Under concurrency Postgres makes a second insert of the
 * same key wait for the first transaction; if that commits the second sees a conflict
 * (duplicate), if it rolls back the second proceeds.
 */
export async function processOnce<Tx extends RawSqlClient, R>(
  client: TransactionalClient<Tx> | Tx,
  key: ProcessOnceKey,
  effects: (tx: Tx) => Promise<R>,
): Promise<ProcessOnceResult<R>> {
  const run = async (tx: Tx): Promise<ProcessOnceResult<R>> => {
    const inserted = await tx.$executeRawUnsafe(
      'INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      key.consumer,
      key.eventId,
    );
    if (inserted === 0) return { duplicate: true };
    return { duplicate: false, result: await effects(tx) };
  };
  return isTransactional(client) ? client.$transaction(run) : run(client);
}
