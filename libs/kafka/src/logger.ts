/**
 * The logger the bus writes to: pino's call shape (`logger.info({ fields }, 'message')`), so a
 * service passes its pino logger unchanged and this lib does not depend on pino.
 */
export interface Logger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
