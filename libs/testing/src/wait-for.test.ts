import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('returns the first truthy value of the condition', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `after ${calls}` : null), { intervalMs: 1 });
    expect(value).toBe('after 3');
  });

  it('retries a condition that throws and reports its last error on timeout', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 30, intervalMs: 5, description: 'the impossible' },
      ),
    ).rejects.toThrow(/timed out after 30 ms waiting for the impossible: last error: not yet/);
  });
});
