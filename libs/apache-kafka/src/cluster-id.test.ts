import { randomClusterId } from './cluster-id';

describe('randomClusterId', () => {
  it('is 22 base64url characters and never starts with "-", which kafka-storage would read as an option', () => {
    // 1 in 64 raw IDs start with "-": 5,000 draws would meet about 78 of them.
    const ids = Array.from({ length: 5_000 }, randomClusterId);
    expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
