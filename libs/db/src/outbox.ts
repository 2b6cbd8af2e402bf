import type { RawSqlClient } from './prisma-client';

/** What a service hands to `enqueue`: a Kafka record, minus partition (the key decides it). */
export interface OutboxMessage {
  topic: string;
  /** Partition key (the order ID). Messages with the same key are published in enqueue order. */
  key: string | null;
  /** Serialised bytes; a string is stored as UTF-8. */
  value: Buffer | string;
  headers?: Record<string, string>;
}

/** A row read back by the relay. */
export interface OutboxRecord {
  /** The outbox row id (a bigint, as a decimal string): the publication order. */
  id: string;
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  createdAt: Date;
  /** Failed publication attempts so far. */
  attempts: number;
}

/**
 * Writes `message` to the outbox inside the caller's transaction (`tx` from
 * `prisma.$transaction`), so it is published if and only if the business change commits.
 */
export async function enqueue(tx: RawSqlClient, message: OutboxMessage): Promise<void> {
  const value = typeof message.value === 'string' ? Buffer.from(message.value, 'utf8') : message.value;
  await tx.$executeRawUnsafe(
    'INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4::jsonb)',
    message.topic,
    message.key,
    value,
    JSON.stringify(message.headers ?? {}),
  );
}

/**
 * Writes many messages to the outbox in one statement, in the caller's transaction. They are
 * numbered, and so published, in the order given, exactly as the same `enqueue` calls would be.
 */
export async function enqueueMany(tx: RawSqlClient, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  if (messages.length === 1) return enqueue(tx, messages[0]!);
  const rows = messages.map((message) => ({
    topic: message.topic,
    key: message.key,
    value: (typeof message.value === 'string' ? Buffer.from(message.value, 'utf8') : message.value).toString('base64'),
    headers: message.headers ?? {},
  }));
  await tx.$executeRawUnsafe(
    `INSERT INTO outbox (topic, key, value, headers)
     SELECT m->>'topic', m->>'key', decode(m->>'value', 'base64'), m->'headers'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS messages(m, n)
     ORDER BY n`,
    JSON.stringify(rows),
  );
}
