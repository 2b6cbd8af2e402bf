import { dueSummaryDate } from './daily-summary';

describe('dueSummaryDate', () => {
  it("is yesterday once the day's summary hour has come, and the day before until then", () => {
    expect(dueSummaryDate(new Date('2026-03-10T07:00:00Z'), 7)).toBe('2026-03-09');
    expect(dueSummaryDate(new Date('2026-03-10T23:59:59Z'), 7)).toBe('2026-03-09');
    expect(dueSummaryDate(new Date('2026-03-10T06:59:59Z'), 7)).toBe('2026-03-08');
    expect(dueSummaryDate(new Date('2026-03-01T00:00:00Z'), 0)).toBe('2026-02-28');
  });
});
