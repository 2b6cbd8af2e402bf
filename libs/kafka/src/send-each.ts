import type { BatchingProducer } from './batching-producer';
import { isUnpublishable, MessageRefusedError } from './errors';
import type { OutgoingMessage } from './message';

/** What became of one record given to `sendEach`. */
export type SendOutcome =
  /** Durable on the broker (acks=all). */
  | { status: 'sent' }
  /** Can never be published as it is: over the producer's own size or key limit, refused before producing. */
  | { status: 'refused'; error: Error }
  /**
   * Not published this time; trying again may work: the broker unreachable, a timeout, an
   * unclassified error, or the broker refusing a record the producer's limits accept (a topic
   * configured below them is an operator's fix away, so its records wait rather than go aside).
   */
  | { status: 'failed'; error: Error }
  /** Not sent: an earlier record of this call with the same key was refused, and a key's records go out in order or not at all. */
  | { status: 'held' };

/**
 * Sends records (an outbox relay's batch) through one producer and tells, record by record, what
 * became of each; it never rejects. They queue in call order, so records with one key keep their
 * order, and a record refused before producing holds back the later records of its key in this
 * call: they are not sent, so no consumer sees them before it.
 */
export async function sendEach(producer: BatchingProducer, records: ReadonlyArray<{ topic: string } & OutgoingMessage>): Promise<SendOutcome[]> {
  const refusedKeys = new Set<string>();
  const pending = records.map(({ topic, ...message }): SendOutcome | Promise<SendOutcome> => {
    const key = message.key === null ? null : `${topic}\0${message.key.toString()}`;
    if (key !== null && refusedKeys.has(key)) return { status: 'held' };
    const refused = producer.refusal(topic, message);
    if (refused) {
      if (key !== null) refusedKeys.add(key);
      return { status: 'refused', error: refused };
    }
    return producer.send(topic, message).then(
      (): SendOutcome => ({ status: 'sent' }),
      (err: unknown): SendOutcome => {
        const error = err instanceof Error ? err : new Error(String(err));
        return isUnpublishable(error) && !(error instanceof MessageRefusedError) ? { status: 'refused', error } : { status: 'failed', error };
      },
    );
  });
  return Promise.all(pending);
}
