export { createBus, type Bus, type BusOptions, type TopicSpec } from './bus';
export type { BatchingProducer, ProducerOptions } from './batching-producer';
export type { ConsumerOptions, ConsumerRunner, EventContext, EventHandler } from './consumer-runner';
export type { OutgoingMessage, ProducedRecord } from './message';
export { RetriableError, NonRetriableError, DependencyUnavailableError, isRetriable, isDependencyUnavailable } from './errors';
export { DeadLetterHeaders, type DeadLetterReason } from './dead-letter';
export { backoffDelay, type BackoffOptions } from './backoff';
export { silentLogger, type Logger } from './logger';
export type { BusLogLevel } from './kafkajs-logger';
