import { Lookahead, POLL_MS, type ClaimPlan } from './lookahead';

/** A lookahead of 8 a subscription whose clock the test moves; the first plan (looking everywhere) is made. */
function started() {
  let now = 0;
  const lookahead = new Lookahead(8, () => now);
  const first = lookahead.plan()!;
  return { lookahead, first, advance: (ms: number) => (now += ms) };
}

/** Counts `n` claimed for `subscriptionId`, then settles `plan` with them. */
function claim(lookahead: Lookahead, plan: ClaimPlan, claims: Record<string, number>, cut = false): void {
  const ids = Object.entries(claims).flatMap(([id, n]) => Array.from({ length: n }, () => id));
  for (const id of ids) lookahead.claimed(id);
  lookahead.settle(plan, ids, cut);
}

describe('Lookahead', () => {
  it('claims once a subscription is down to half its lookahead, then tops up every subscription', () => {
    const { lookahead, first } = started();
    expect(first).toMatchObject({ otherRoom: 8, wider: true });
    claim(lookahead, first, { a: 8, b: 8 });

    const answers = Array.from({ length: 4 }, () => lookahead.answered('a'));
    lookahead.answered('b');

    expect(answers).toEqual([false, false, false, true]);
    expect(lookahead.plan()).toEqual({ room: new Map([['a', 4], ['b', 1]]), otherRoom: 0, wider: false });
  });

  it('needs no claim while every subscription has more than half its lookahead unanswered', () => {
    const { lookahead, first } = started();
    claim(lookahead, first, { a: 8 });
    lookahead.answered('a');

    expect(lookahead.plan()).toBeUndefined();
  });

  it('lets the answers of a subscription found short claim nothing until new work is announced for it', () => {
    const { lookahead, first } = started();
    claim(lookahead, first, { a: 3 });

    expect([lookahead.answered('a'), lookahead.answered('a')]).toEqual([false, false]);
    expect(lookahead.wake(['a'])).toBe(true);
    expect(lookahead.answered('a')).toBe(true);
  });

  it('forgets a subscription found short with nothing unanswered: only a claim looking everywhere finds its work', () => {
    const { lookahead, first } = started();
    claim(lookahead, first, { a: 2 });
    lookahead.answered('a');
    lookahead.answered('a');
    const next = lookahead.plan()!;
    claim(lookahead, next, {});

    expect(lookahead.plan()).toBeUndefined();
    expect(lookahead.wake(['a'])).toBe(true);
    expect(lookahead.plan()).toMatchObject({ otherRoom: 8, wider: true });
  });

  it('looks at subscriptions it does not know when told of new work, and at least every poll interval', () => {
    const { lookahead, first, advance } = started();
    claim(lookahead, first, { a: 4 });

    expect(lookahead.plan()).toMatchObject({ otherRoom: 0, wider: false });
    lookahead.wakeAll();
    expect(lookahead.plan()).toMatchObject({ otherRoom: 8, wider: true });
    expect(lookahead.plan()).toMatchObject({ otherRoom: 0 });
    advance(POLL_MS);
    expect(lookahead.plan()).toMatchObject({ otherRoom: 8 });
  });

  it('caps the room a limit gives, known subscription or not (an open breaker: none)', () => {
    const { lookahead, first } = started();
    claim(lookahead, first, { a: 2 });

    const plan = lookahead.plan(new Map([['a', 0], ['z', 1]]))!;

    expect(plan.room).toEqual(new Map([['a', 0], ['z', 1]]));
  });

  it('learns nothing from a claim the overall bound cut short, and keeps looking everywhere', () => {
    const { lookahead, first } = started();
    claim(lookahead, first, { a: 1 }, true);

    expect(lookahead.answered('a')).toBe(true);
    expect(lookahead.plan()).toMatchObject({ otherRoom: 8, wider: true });
  });
});
