/**
 * The logging this lib needs, shaped like pino's methods (object first, then message) so a
 * service passes its pino logger as is, and tests pass a silent one. Declared here rather than
 * imported so @orderflow/db does not depend on the logging lib.
 */
export interface DbLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
