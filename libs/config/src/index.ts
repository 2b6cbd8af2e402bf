export { loadConfig, type Env } from './load-config';
export { ConfigError, type ConfigIssue } from './config-error';
export { port, url, list, bool, durationMs, pem, secret, trustProxy, brokers, logFormat, serviceFields, metricsFields, requireMetricsAccess, instanceKeys, kafkaOptions, positiveInt, type TrustProxy } from './env-types';
