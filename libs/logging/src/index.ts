export { createLogger, type LoggerOptions, type LogLevel } from './create-logger';
export { chooseLogFormat, LOG_FORMATS, type LogFormat } from './log-format';
export { redactSecrets, isSecretKey, REDACTED } from './redact';
export type { Logger } from 'pino';
