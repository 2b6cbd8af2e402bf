export { createBus, type Bus, type BusOptions, type TopicDefaults, type TopicSpec } from './bus';
export type { BatchingProducer, ProducerOptions } from './batching-producer';
export { sendEach, type SendOutcome } from './send-each';
export { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_KEY_BYTES, recordBatchBytes } from './message-size';
export type { BatchEventHandler, ConsumerOptions, ConsumerRunner, EventContext, EventHandler } from './consumer-runner';
export type { OutgoingMessage, ProducedRecord } from './message';
export {
  RetriableError,
  NonRetriableError,
  DependencyUnavailableError,
  UnpublishableMessageError,
  MessageTooLargeError,
  MessageKeyTooLargeError,
  MessageRefusedError,
  isRetriable,
  isDependencyUnavailable,
  isUnpublishable,
} from './errors';
export { DeadLetterHeaders, type DeadLetterReason } from './dead-letter';
export { silentLogger, type Logger } from './logger';
export type { BusLogLevel } from './kafkajs-logger';
