import { isTransactional, type RawQueryClient, type RawSqlClient, type TransactionalClient } from './prisma-client';

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
export async function processOnce<T extends RawSqlClient, R>(
  client: TransactionalClient<T> | T,
  key: ProcessOnceKey,
  effects: (tx: T) => Promise<R>,
): Promise<ProcessOnceResult<R>> {
  const run = async (tx: T): Promise<ProcessOnceResult<R>> => {
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

/**
 * processOnce for a run of events in one statement, inside the caller's transaction: marks every
 * ID in `eventIds` processed for `consumer` and returns those that were not before. An ID that
 * occurs twice in the run is returned once; the caller handles its first occurrence only. As
 * with processOnce, the marks commit or roll back with the caller's effects.
 */
export async function claimEvents(tx: RawQueryClient, consumer: string, eventIds: readonly string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows = await tx.$queryRawUnsafe<Array<{ event_id: string }>>(markProcessed('$1', 'SELECT * FROM jsonb_array_elements_text($2::jsonb)'), consumer, JSON.stringify(eventIds));
  return new Set(rows.map((row) => row.event_id));
}

/** Consumer names go into statements as literals: only these characters. */
const CONSUMER_NAME = /^[a-z][a-z0-9._-]*$/;

/**
 * claimEvents as a part of the caller's own statement, for a run written in one statement (a
 * common table expression's body): marks the IDs `ids` selects (a query of one column, over the
 * statement's earlier expressions) processed for `consumer`, and returns those new to it, as
 * `event_id`. The statement joins its writes on them, so a redelivered event writes nothing;
 * one statement is atomic, so the marks commit with the writes, with no extra round trip.
 *
 *     WITH input AS (...), fresh AS (${claimEventsSql('dispatch', 'SELECT id FROM input')}) ...
 */
export function claimEventsSql(consumer: string, ids: string): string {
  if (!CONSUMER_NAME.test(consumer)) throw new Error(`consumer name ${JSON.stringify(consumer)} is not ${CONSUMER_NAME}`);
  return markProcessed(`'${consumer}'`, ids);
}

function markProcessed(consumer: string, ids: string): string {
  return `INSERT INTO processed_events (consumer, event_id) SELECT ${consumer}, id FROM (${ids}) AS ids (id) ON CONFLICT DO NOTHING RETURNING event_id`;
}
