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

/** Routes kafkajs's own log lines into our logger, so they carry the service's bindings and format. */
export function kafkajsLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log as typeof log & { timestamp?: unknown; logger?: unknown };
      const entry = { ...fields, component: 'kafkajs', namespace };
      if (level === logLevel.ERROR) logger.error(entry, message);
      else if (level === logLevel.WARN) logger.warn(entry, message);
      else if (level === logLevel.INFO) logger.info(entry, message);
      else logger.debug(entry, message);
    };
}
