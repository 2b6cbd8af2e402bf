export { startBroker, type BrokerOptions, type RunningBroker } from './broker';
export { Faults, type InjectedFault } from './faults';
export { BrokerMetrics } from './metrics';
export { jsonLogger, silentLogger, type Logger, type LogLevel } from './logger';
export { ErrorCode, errorName, type ErrorCodeName } from './protocol/error-codes';
