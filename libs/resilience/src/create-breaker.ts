import CircuitBreaker from 'opossum';
import type { Registry } from 'prom-client';
import { BreakerOpenError, BreakerTimeoutError } from './breaker-errors';
import { breakerMetrics } from './breaker-metrics';

export type BreakerState = 'closed' | 'half-open' | 'open';

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface BreakerOptions<TArgs extends unknown[], TResult> {
  /** Fail a call that takes longer; `false` disables. Default 10,000 ms (opossum's). */
  timeoutMs?: number | false;
  /** Open when this share of calls in the window fails. Default 50. */
  errorThresholdPercentage?: number;
  /** Fewest calls in the window before the breaker may open. Default 5. */
  volumeThreshold?: number;
  /** How long an open breaker waits before letting one trial call through. Default 30,000 ms. */
  resetTimeoutMs?: number;
  /** The statistics window. Default 10,000 ms. */
  rollingCountTimeoutMs?: number;
  /**
   * Whether an error is the dependency's fault. Return false for errors our request caused
   * (a partner's 400/404/422): they still reach the caller but do not open the breaker,
   * or one malformed event could cut off a healthy partner. Default: every error counts.
   */
  isFailure?: (error: unknown, ...args: TArgs) => boolean;
  /** Answers instead of the error when the call fails or the breaker is open. */
  fallback?: (...argsThenError: [...TArgs, unknown]) => TResult | Promise<TResult>;
}

export interface Breaker<TArgs extends unknown[], TResult> {
  readonly name: string;
  readonly state: BreakerState;
  /** Calls through the breaker; rejects with `BreakerOpenError` without calling when open. */
  fire(...args: TArgs): Promise<TResult>;
  /** Called on every transition; returns a function that unsubscribes. */
  onStateChange(listener: (state: BreakerState) => void): () => void;
  /** Stops timers and refuses further calls. */
  shutdown(): void;
}

/**
 * Wraps a call to a dependency (a partner API, an SMTP relay) in an opossum breaker whose
 * state and outcomes are Prometheus metrics labelled with `name`, so a dashboard shows
 * which dependency is being shed.
 */
export function createBreaker<TArgs extends unknown[], TResult>(
  name: string,
  fn: (...args: TArgs) => Promise<TResult>,
  options: BreakerOptions<TArgs, TResult>,
  registry: Registry,
): Breaker<TArgs, TResult> {
  const metrics = breakerMetrics(registry);
  const labels = { breaker: name };
  const isFailure = options.isFailure;
  // opossum reports an error excluded by errorFilter as a 'success' carrying the error;
  // remembering which errors were excluded lets the metrics tell the two apart.
  const excluded = new WeakSet<object>();

  const breaker = new CircuitBreaker<TArgs, TResult>(fn, {
    name,
    timeout: options.timeoutMs ?? 10_000,
    errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
    volumeThreshold: options.volumeThreshold ?? 5,
    resetTimeout: options.resetTimeoutMs ?? 30_000,
    rollingCountTimeout: options.rollingCountTimeoutMs ?? 10_000,
    // opossum 9 passes the call's arguments after the error; @types/opossum (8.x) omits them.
    errorFilter: (error: unknown, ...args: unknown[]) => {
      const counts = isFailure ? isFailure(error, ...(args as TArgs)) : true;
      if (!counts && typeof error === 'object' && error !== null) excluded.add(error);
      return !counts;
    },
  });
  if (options.fallback) breaker.fallback(options.fallback as (...args: unknown[]) => TResult | Promise<TResult>);

  let state: BreakerState = 'closed';
  const listeners = new Set<(state: BreakerState) => void>();
  const transition = (next: BreakerState) => () => {
    state = next;
    metrics.state.set(labels, STATE_VALUE[next]);
    for (const listener of listeners) listener(next);
  };
  metrics.state.set(labels, STATE_VALUE.closed);
  breaker.on('open', transition('open'));
  breaker.on('halfOpen', transition('half-open'));
  breaker.on('close', transition('closed'));

  breaker.on('success', (result: unknown) => {
    if (typeof result === 'object' && result !== null && excluded.has(result)) metrics.excluded.inc(labels);
    else metrics.successes.inc(labels);
  });
  breaker.on('failure', () => metrics.failures.inc(labels));
  breaker.on('reject', () => metrics.rejections.inc(labels));
  breaker.on('timeout', () => metrics.timeouts.inc(labels));
  breaker.on('fallback', () => metrics.fallbacks.inc(labels));

  return {
    name,
    get state() {
      return state;
    },
    async fire(...args: TArgs): Promise<TResult> {
      try {
        return await breaker.fire(...args);
      } catch (err) {
        throw translate(err, name, options.timeoutMs);
      }
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    shutdown() {
      listeners.clear();
      breaker.shutdown();
    },
  };
}

/** opossum's own errors, known by their codes, become typed, retriable errors. */
function translate(err: unknown, name: string, timeoutMs: number | false | undefined): unknown {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  if (code === 'EOPENBREAKER') return new BreakerOpenError(name);
  if (code === 'ETIMEDOUT' && err instanceof Error && err.message.startsWith('Timed out after')) {
    return new BreakerTimeoutError(name, typeof timeoutMs === 'number' ? timeoutMs : 10_000);
  }
  return err;
}
