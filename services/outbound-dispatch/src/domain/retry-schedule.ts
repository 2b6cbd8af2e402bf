import type { Outcome } from './outcome';

export interface RetrySchedule {
  /** Delay before each attempt: [0] is the first (immediate), then one per retry. */
  scheduleMs: readonly number[];
  /** ± share of each retry delay, so retries of many deliveries spread out. */
  jitter: number;
}

/**
 * After a failed attempt, the `attempts`-th: whether it was the last (a fatal outcome, or the
 * schedule is spent) and how long until the next, never sooner than the partner's Retry-After.
 */
export function afterFailure(
  schedule: RetrySchedule,
  attempts: number,
  outcome: Extract<Outcome, { kind: 'retry' | 'fatal' }>,
  random: () => number = Math.random,
): { last: boolean; delayMs: number } {
  const last = outcome.kind === 'fatal' || attempts >= schedule.scheduleMs.length;
  const delayMs = last ? 0 : Math.max(withJitter(schedule.scheduleMs[attempts], schedule.jitter, random), outcome.kind === 'retry' ? (outcome.notBeforeMs ?? 0) : 0);
  return { last, delayMs };
}

/** `ms` moved by up to ± `jitter` of itself. */
export function withJitter(ms: number, jitter: number, random: () => number = Math.random): number {
  if (ms <= 0) return 0;
  const spread = ms * jitter;
  return Math.round(ms - spread + random() * 2 * spread);
}

/** A delivery whose breaker was open is due again after this; waiting on it spends no attempt. */
export function breakerWaitMs(breakerResetMs: number): number {
  return Math.min(breakerResetMs, 5_000);
}

/** A subscription failing since `failingSince` without one success, at `now`, is to be disabled. */
export function failingTooLong(failingSince: Date, now: Date, disableAfterMs: number): boolean {
  return now.getTime() - failingSince.getTime() >= disableAfterMs;
}
