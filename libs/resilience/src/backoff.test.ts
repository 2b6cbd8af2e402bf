import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('grows exponentially and is capped', () => {
    const top = () => 1;
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, { initialMs: 100 }, top))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(30, { initialMs: 100, maxMs: 5_000 }, top)).toBe(5_000);
  });

  it('spreads retries between half and all of the step', () => {
    expect(backoffDelay(3, { initialMs: 100 }, () => 0)).toBe(200);
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3, { initialMs: 100 })));
    expect(delays.size).toBeGreaterThan(5);
    for (const d of delays) expect(d >= 200 && d <= 400).toBe(true);
  });

  it('is the step itself without jitter', () => {
    expect([1, 2, 3, 9].map((a) => backoffDelay(a, { initialMs: 100, maxMs: 5_000, jitter: 'none' }, () => 0))).toEqual([100, 200, 400, 5_000]);
  });
});
