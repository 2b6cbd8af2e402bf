import pino, { type DestinationStream, type Level, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import { redactSecrets } from './redact';

export type LogLevel = Level | 'silent';

export interface LoggerOptions {
  /** The service or component name, written as `name` on every line. */
  name: string;
  /** Default 'info'. */
  level?: LogLevel;
  /** Where lines go; default stdout. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

/**
 * A JSON logger with secrets redacted from every logged object and from child bindings,
 * so `logger.child({ requestId })` or `{ eventId }` can bind IDs without a way to bind a
 * token by accident. Errors go under `err` with pino's standard serializer.
 */
export function createLogger(options: LoggerOptions): Logger {
  const settings: PinoOptions = {
    name: options.name,
    level: options.level ?? 'info',
    formatters: {
      // Runs on each call's object before serialisers; it also serialises errors, so that
      // their own fields are redacted too, which is why `err` needs no serialiser below.
      log: (object) => redactSecrets(object) as Record<string, unknown>,
    },
    serializers: { err: (value: unknown) => value },
  };
  const logger = options.destination ? pino(settings, options.destination) : pino(settings);
  // pino applies no formatter to a child's bindings, so they are redacted here. Children
  // are created with Object.create(parent), so grandchildren inherit this override.
  const baseChild = logger.child;
  logger.child = function child(this: Logger, bindings, childOptions) {
    return baseChild.call(this, redactSecrets(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}
