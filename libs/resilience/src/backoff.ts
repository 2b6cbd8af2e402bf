export interface BackoffOptions {
  /** Delay before the first retry. Default 100 ms. */
  initialMs?: number;
  /** Ceiling for any one delay. Default 30 s. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  multiplier?: number;
  /**
   * 'equal' (the default): a random delay between half and all of the step. 'none': the step
   * itself, for one loop alone retrying its own work (an outbox relay, a job's schedule), whose
   * delays others read and add up.
   */
  jitter?: 'equal' | 'none';
}

/**
 * Exponential backoff, by default with "equal jitter" (a random delay between half and all of the
 * exponential step): consumers that failed together on one outage do not all retry in the same
 * millisecond when it ends, and no retry comes sooner than half its step. `attempt` counts from 1.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 30_000;
  const step = Math.min(max, initial * (options.multiplier ?? 2) ** Math.max(0, attempt - 1));
  if (options.jitter === 'none') return step;
  return Math.round(step / 2 + (random() * step) / 2);
}
