import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from './logger';

export type BusLogLevel = 'error' | 'warn' | 'info' | 'debug' | 'nothing';

export const kafkaLogLevel: Record<BusLogLevel, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * Answers a real Kafka cluster gives in its normal course (a coordinator or a leader moving or
 * still being elected, a topic still being created), which kafkajs retries by itself. kafkajs
 * logs each at ERROR; every start on Apache Kafka printed some (the first group's coordinator is
 * not there until `__consumer_offsets` exists). Should the retries run out, the operation fails
 * and its caller reports that.
 */
const TRANSIENT_ANSWERS = new Set([
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'The group is rebalancing, so a rejoin is needed',
]);

function isTransientAnswer(namespace: string, fields: Record<string, unknown>): boolean {
  return namespace === 'Connection' && typeof fields.error === 'string' && TRANSIENT_ANSWERS.has(fields.error);
}

/**
 * kafkajs warns, at every start of an idempotent producer, that a bounded number of retries may
 * break exactly-once delivery: a send that gave up and is sent again by its caller is a new
 * message to the broker. Bounded retries are our choice (see bus.ts): a producer that gives up
 * fails its send, and the caller that owns the message sends it again (the outbox relay, the
 * ingress before its 2xx), each consumer applying a message once by its event ID. So the warning
 * says nothing an operator can act on; it is logged at debug.
 */
function isBoundedRetriesNotice(namespace: string, message: string): boolean {
  return namespace === 'Producer' && message.startsWith('Limiting retries for the idempotent producer');
}

/** Routes kafkajs's own log lines into our logger, so they carry the service's bindings and format. */
export function kafkajsLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log as typeof log & { timestamp?: unknown; logger?: unknown };
      const entry = { ...fields, component: 'kafkajs', namespace };
      if (level === logLevel.ERROR && isTransientAnswer(namespace, fields)) logger.debug(entry, message);
      else if (level === logLevel.WARN && isBoundedRetriesNotice(namespace, message)) logger.debug(entry, message);
      else if (level === logLevel.ERROR) logger.error(entry, message);
      else if (level === logLevel.WARN) logger.warn(entry, message);
      else if (level === logLevel.INFO) logger.info(entry, message);
      else logger.debug(entry, message);
    };
}
