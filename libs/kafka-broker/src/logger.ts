/**
 * The logging interface the broker writes to. It matches pino's call shape
 * (`logger.info({ fields }, 'message')`), so a service can pass its own pino
 * logger; on its own the broker writes one JSON object per line.
 */
export interface Logger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function jsonLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line),
  base: object = { name: 'orderflow-kafka' },
): Logger {
  const min = rank[level];
  const at =
    (lvl: Exclude<LogLevel, 'silent'>) =>
    (fields: object, msg: string): void => {
      if (rank[lvl] < min) return;
      write(`${JSON.stringify({ level: lvl, time: new Date().toISOString(), ...base, ...fields, msg })}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = jsonLogger('silent');
