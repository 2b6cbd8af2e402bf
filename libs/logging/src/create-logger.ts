import pino, { type DestinationStream, type Level, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import { chooseLogFormat, prettyLines, type LogFormat } from './log-format';
import { redactSecrets } from './redact';

export type LogLevel = Level | 'silent';

export interface LoggerOptions {
  /** The service or component name, written as `name` on every line. */
  name: string;
  /** Default 'info'. */
  level?: LogLevel;
  /** Where lines go; default stdout. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
  /**
   * Default: `pretty` when the lines go to stdout and stdout is a terminal, JSON otherwise (and
   * always JSON into a given `destination`). Services pass `LOG_FORMAT` here when it is set.
   */
  format?: LogFormat;
  /** Colours in pretty lines; default when they go to stdout and stdout is a terminal. */
  colors?: boolean;
}

/**
 * A JSON logger with secrets redacted from every logged object and from child bindings,
 * so `logger.child({ requestId })` or `{ eventId }` can bind IDs without a way to bind a
 * token by accident. Errors go under `err` with pino's standard serializer. In `pretty` format
 * the same JSON lines, redacted, are rewritten as readable ones.
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
  const toStdout = options.destination === undefined;
  const format = options.format ?? (toStdout ? chooseLogFormat(undefined, process.stdout.isTTY) : 'json');
  const logger =
    format === 'pretty'
      ? pino(settings, prettyLines(options.destination ?? pino.destination({ dest: 1, sync: true }), options.colors ?? (toStdout && process.stdout.isTTY === true)))
      : options.destination
        ? pino(settings, options.destination)
        : pino(settings);
  // pino applies no formatter to a child's bindings, so they are redacted here. Children
  // are created with Object.create(parent), so grandchildren inherit this override.
  const baseChild = logger.child;
  logger.child = function child(this: Logger, bindings, childOptions) {
    return baseChild.call(this, redactSecrets(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}
