import { afterFailedAttempt, failureReason, PoolExhaustedError } from './attempts';

const policy = { maxAttempts: 4, retryBaseMs: 1_000, retryMaxMs: 3_000 };

describe('afterFailedAttempt', () => {
  it('retries a transient failure with a doubling delay, capped, until the last attempt', () => {
    const transient = { exhausted: false, reason: 'lock timeout' };
    expect(afterFailedAttempt(0, transient, policy)).toEqual({ retry: true, attempts: 1, delayMs: 1_000 });
    expect(afterFailedAttempt(1, transient, policy)).toEqual({ retry: true, attempts: 2, delayMs: 2_000 });
    expect(afterFailedAttempt(2, transient, policy)).toEqual({ retry: true, attempts: 3, delayMs: 3_000 });
    expect(afterFailedAttempt(3, transient, policy)).toEqual({ retry: false, attempts: 4, reason: 'gave up after 4 attempts: lock timeout' });
  });

  it('fails an exhausted pool at once, with the pool’s reason', () => {
    expect(afterFailedAttempt(0, { exhausted: true, reason: 'the license pool of product p is exhausted' }, policy)).toEqual({
      retry: false,
      attempts: 1,
      reason: 'the license pool of product p is exhausted',
    });
  });
});

describe('failureReason', () => {
  it('puts a multi-line error on one line', () => {
    expect(failureReason(new Error('canceling statement\n  due to lock timeout '))).toBe('canceling statement due to lock timeout');
    expect(failureReason('plain')).toBe('plain');
    expect(failureReason(new PoolExhaustedError('p'))).toBe('the license pool of product p is exhausted');
  });
});
