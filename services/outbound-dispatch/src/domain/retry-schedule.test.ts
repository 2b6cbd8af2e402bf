import { afterFailure, failingTooLong, withJitter } from './retry-schedule';

const schedule = { scheduleMs: [0, 5_000, 300_000], jitter: 0.2 };
const retry = { kind: 'retry', error: 'partner answered 500' } as const;

describe('afterFailure', () => {
  it('waits the schedule’s next delay, moved by the jitter', () => {
    expect(afterFailure(schedule, 1, retry, () => 0)).toEqual({ last: false, delayMs: 4_000 });
    expect(afterFailure(schedule, 1, retry, () => 1)).toEqual({ last: false, delayMs: 6_000 });
  });

  it('never retries sooner than the partner’s Retry-After', () => {
    expect(afterFailure(schedule, 1, { ...retry, notBeforeMs: 60_000 }, () => 0.5)).toEqual({ last: false, delayMs: 60_000 });
  });

  it('gives up once the schedule is spent, or at once on a fatal outcome', () => {
    expect(afterFailure(schedule, 3, retry)).toEqual({ last: true, delayMs: 0 });
    expect(afterFailure(schedule, 1, { kind: 'fatal', error: 'refused destination' })).toEqual({ last: true, delayMs: 0 });
  });
});

describe('withJitter', () => {
  it('leaves no delay as none', () => expect(withJitter(0, 0.2, () => 1)).toBe(0));
});

describe('failingTooLong', () => {
  it('is true from the moment the subscription has failed for the whole window', () => {
    const since = new Date('2030-01-01T00:00:00Z');
    expect(failingTooLong(since, new Date('2030-01-01T00:59:59Z'), 3_600_000)).toBe(false);
    expect(failingTooLong(since, new Date('2030-01-01T01:00:00Z'), 3_600_000)).toBe(true);
  });
});
