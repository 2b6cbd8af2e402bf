import { DEFAULT_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS, retryAfterMs } from './retry-after';

describe('retryAfterMs', () => {
  it("prefers Discord's fractional retry_after over its rounded header", () => {
    expect(retryAfterMs(JSON.stringify({ message: 'You are being rate limited.', retry_after: 0.337, global: false }), '1')).toBe(337);
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs('ratelimited', '2')).toBe(2_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('', 'Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
  });

  it('falls back to a default when nothing says, and caps absurd waits', () => {
    expect(retryAfterMs('', null)).toBe(DEFAULT_RETRY_AFTER_MS);
    expect(retryAfterMs('', 'soon')).toBe(DEFAULT_RETRY_AFTER_MS);
    expect(retryAfterMs('{"retry_after": 86400}', null)).toBe(MAX_RETRY_AFTER_MS);
  });
});
