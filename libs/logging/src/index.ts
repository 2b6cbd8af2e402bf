export { createLogger, type LoggerOptions, type LogLevel } from './create-logger';
export { redactSecrets, isSecretKey, REDACTED } from './redact';
export type { Logger } from 'pino';
