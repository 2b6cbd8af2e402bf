import { AttemptLimiter } from './attempt-limiter';
import { sameSecret, SessionStore } from './session-store';

describe('sessions', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('ends a session after the idle timeout, and after its absolute lifetime however busy', () => {
    const store = new SessionStore({ ttlMs: 10_000, idleTimeoutMs: 3_000, clock });
    const idle = store.create();
    now += 3_000;
    expect(store.touch(idle.id)).toBeUndefined();

    const busy = store.create();
    for (let i = 0; i < 4; i += 1) {
      now += 2_000;
      expect(store.touch(busy.id)).toBe(busy.session);
    }
    now += 2_000;
    expect(store.touch(busy.id)).toBeUndefined();
  });

  it('gives each session its own random ID and CSRF token, forgets ended ones, and caps how many live', () => {
    const store = new SessionStore({ ttlMs: 60_000, idleTimeoutMs: 60_000, maxSessions: 3, clock });
    const sessions = Array.from({ length: 4 }, () => store.create());
    expect(new Set(sessions.map((s) => s.id)).size).toBe(4);
    expect(new Set(sessions.map((s) => s.session.csrfToken)).size).toBe(4);
    expect(store.size).toBe(3);
    expect(store.touch(sessions[0].id)).toBeUndefined();
    store.end(sessions[3].id);
    expect(store.touch(sessions[3].id)).toBeUndefined();
    expect(store.touch('made-up')).toBeUndefined();
    expect(store.touch(undefined)).toBeUndefined();
  });

  it('compares secrets of any lengths', () => {
    expect(sameSecret('a-token', 'a-token')).toBe(true);
    expect(sameSecret('a-token', 'a-token-longer')).toBe(false);
    expect(sameSecret('', 'a-token')).toBe(false);
  });
});

describe('attempt limiter', () => {
  let now = 0;
  const limiter = new AttemptLimiter({ limit: 3, windowMs: 60_000, maxKeys: 2, clock: () => now });

  it('blocks an address after the limit until its window ends, and a success clears it', () => {
    for (let i = 0; i < 3; i += 1) {
      expect(limiter.blockedFor('1.1.1.1')).toBe(0);
      limiter.fail('1.1.1.1');
    }
    expect(limiter.blockedFor('1.1.1.1')).toBe(60_000);
    expect(limiter.blockedFor('2.2.2.2')).toBe(0);
    now += 59_000;
    expect(limiter.blockedFor('1.1.1.1')).toBe(1_000);
    now += 1_000;
    expect(limiter.blockedFor('1.1.1.1')).toBe(0);
    limiter.fail('3.3.3.3');
    limiter.succeed('3.3.3.3');
    limiter.fail('3.3.3.3');
    expect(limiter.blockedFor('3.3.3.3')).toBe(0);
  });
});
