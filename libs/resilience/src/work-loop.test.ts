import { waitFor } from '@orderflow/testing';
import { WorkLoop } from './work-loop';

describe('WorkLoop', () => {
  it('runs units back to back while any is due, and a notify mid-run looks again without waiting for the poll', async () => {
    let due = 3;
    let runs = 0;
    let release!: () => void;
    let gate: Promise<void> | null = null;
    const loop = new WorkLoop({
      runOne: async () => {
        runs++;
        // Decides first, then (when gated) finishes late: work arriving meanwhile is not seen.
        const found = due > 0;
        if (gate) await gate;
        if (!found) return false;
        due--;
        return true;
      },
      idleMs: () => 3_600_000,
      onError: () => undefined,
    });
    loop.start();
    await waitFor(() => due === 0 && runs === 4);

    // Work arrives while a run that found nothing is still finishing: the loop comes back for it
    // at once, not at the next poll an hour away.
    gate = new Promise((resolve) => (release = resolve));
    loop.notify();
    await waitFor(() => runs === 5);
    due = 1;
    loop.notify();
    gate = null;
    release();
    await waitFor(() => due === 0);
    await loop.stop();
  });

  it('reports a failing run and keeps polling', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const loop = new WorkLoop({
      runOne: async () => {
        calls++;
        if (calls === 1) throw new Error('database away');
        return false;
      },
      idleMs: () => 1,
      onError: (err) => errors.push(err),
    });
    loop.start();
    await waitFor(() => calls >= 2);
    await loop.stop();
    expect(errors).toHaveLength(1);
  });
});
