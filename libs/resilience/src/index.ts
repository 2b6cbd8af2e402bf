export { createBreaker, type Breaker, type BreakerOptions, type BreakerState } from './create-breaker';
export { BreakerOpenError, BreakerTimeoutError } from './breaker-errors';
