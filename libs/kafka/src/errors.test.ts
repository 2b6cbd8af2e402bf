import { EventValidationError } from '@orderflow/events';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { DependencyUnavailableError, isDependencyUnavailable, isRetriable, NonRetriableError, RetriableError } from './errors';
import { mapKafkaError } from './kafkajs-errors';

describe('retry semantics', () => {
  it('reads the flag our errors, kafkajs errors and event validation errors carry', () => {
    expect(isRetriable(new RetriableError('x'))).toBe(true);
    expect(isRetriable(new NonRetriableError('x'))).toBe(false);
    expect(isRetriable(new DependencyUnavailableError('redis'))).toBe(true);
    expect(isRetriable(new EventValidationError('bad'))).toBe(false);
    expect(isRetriable(new KafkaJSNonRetriableError('x'))).toBe(false);
  });

  it('treats an unclassified error as retriable, since the attempt budget is bounded', () => {
    expect(isRetriable(new TypeError('undefined is not a function'))).toBe(true);
    expect(isRetriable('a string')).toBe(true);
  });

  it('recognises a dependency outage only from DependencyUnavailableError', () => {
    expect(isDependencyUnavailable(new DependencyUnavailableError('postgres'))).toBe(true);
    expect(isDependencyUnavailable(new RetriableError('postgres'))).toBe(false);
  });
});

describe('mapKafkaError', () => {
  it('maps connection trouble and exhausted kafkajs retries to retriable errors, keeping the cause', () => {
    const cause = new KafkaJSConnectionError('Connection timeout');
    const mapped = mapKafkaError(cause, 'produce failed');
    expect(mapped).toBeInstanceOf(RetriableError);
    expect(mapped.message).toBe('produce failed: Connection timeout');
    expect(mapped.cause).toBe(cause);
    expect(mapKafkaError(new KafkaJSNumberOfRetriesExceeded(new Error('x'), { retryCount: 5, retryTime: 100 }), 'p')).toBeInstanceOf(RetriableError);
  });

  it('maps protocol errors by their own retriable flag', () => {
    // 10 MESSAGE_TOO_LARGE is not retriable in Kafka; 7 REQUEST_TIMED_OUT is.
    // kafkajs builds protocol errors from its error-code table entries; its typings say Error.
    const protocolError = (entry: object) => new KafkaJSProtocolError(entry as Error);
    expect(mapKafkaError(protocolError({ type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false, message: 'too large' }), 'p')).toBeInstanceOf(NonRetriableError);
    expect(mapKafkaError(protocolError({ type: 'REQUEST_TIMED_OUT', code: 7, retriable: true, message: 'timed out' }), 'p')).toBeInstanceOf(RetriableError);
  });

  it('passes our own errors through unchanged', () => {
    const ours = new NonRetriableError('x');
    expect(mapKafkaError(ours, 'p')).toBe(ours);
  });
});
