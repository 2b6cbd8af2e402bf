import type { DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';

/** `json`: one JSON object per line, for collectors and tools. `pretty`: one readable line per entry, for people. */
export type LogFormat = 'json' | 'pretty';

export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/**
 * `LOG_FORMAT` when it is set; otherwise readable lines when they go to a terminal, and JSON
 * lines everywhere else (a pipe, a file, a container's log collector, a test reading them).
 */
export function chooseLogFormat(requested: LogFormat | undefined, isTTY: boolean | undefined): LogFormat {
  return requested ?? (isTTY ? 'pretty' : 'json');
}

/**
 * A destination that turns each JSON line pino writes into a readable one before passing it on:
 * `12:04:31.207 INFO  order | order approved {"orderId":"ord_…"}`. It reads the line pino has
 * already written, so whatever the logger redacted stays redacted. Synchronous, so the
 * one-machine threads, which write straight to fd 1, keep their last lines on a stop.
 */
export function prettyLines(destination: DestinationStream, colors: boolean): DestinationStream {
  const prettify = prettyFactory({
    colorize: colors,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    ignore: 'pid,hostname,name,service',
    // Inside the one-machine process every line comes from the `orderflow` logger: the service
    // binding says which service spoke, so it is the one shown.
    messageFormat: (log, messageKey) => `${String(log.service ?? log.name ?? '')} | ${String(log[messageKey] ?? '')}`,
  });
  return { write: (line: string) => destination.write(prettify(line)) };
}
