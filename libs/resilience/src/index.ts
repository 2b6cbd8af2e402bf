export { createBreaker, type Breaker, type BreakerOptions, type BreakerState } from './create-breaker';
export { BreakerOpenError, BreakerTimeoutError } from './breaker-errors';
export { backoffDelay, type BackoffOptions } from './backoff';
export { WorkLoop, type WorkLoopOptions } from './work-loop';
