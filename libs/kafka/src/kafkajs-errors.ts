import { NonRetriableError, RetriableError } from './errors';

/**
 * kafkajs errors that mean "the cluster could not be reached or did not answer in time". kafkajs
 * marks some of them non-retriable once its own retries are spent (NumberOfRetriesExceeded), but
 * for our callers they are still transient: the request may succeed a moment later.
 */
const TRANSIENT = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
]);

interface KafkaJsLike {
  name?: unknown;
  message?: unknown;
  retriable?: unknown;
  type?: unknown;
}

/**
 * Maps anything kafkajs throws to our hierarchy, at the boundary, so no caller ever inspects a
 * kafkajs error. The original stays reachable as `cause` for logs.
 */
export function mapKafkaError(err: unknown, context: string): RetriableError | NonRetriableError {
  if (err instanceof RetriableError || err instanceof NonRetriableError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as KafkaJsLike;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const detail = typeof e.message === 'string' ? e.message : String(err);
  const message = `${context}: ${detail}`;
  if (TRANSIENT.has(name) || e.retriable === true) return new RetriableError(message, { cause: err });
  return new NonRetriableError(message, { cause: err });
}

/**
 * Broker answers that refuse a partition's records for what they are, not for the cluster's
 * state: sent again unchanged, they are refused again. (kafkajs marks them non-retriable.)
 */
const REFUSES_RECORDS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TOPIC_EXCEPTION']);

/**
 * The broker's reason when a produce failed because of the records it carried (kafkajs wraps the
 * broker's error in its own once its retrier gives up, so the causes are searched too); null
 * when it failed for any other reason.
 */
export function messageRefusal(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth += 1) {
    const type = (e as KafkaJsLike).type;
    if (typeof type === 'string' && REFUSES_RECORDS.has(type)) return type;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
