import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  /** The synchronizer token state-changing requests must echo in `x-csrf-token`. */
  readonly csrfToken: string;
  readonly createdAt: number;
  /** Absolute end: sign-in time plus the session TTL. */
  readonly expiresAt: number;
  lastSeenAt: number;
}

export interface SessionStoreOptions {
  ttlMs: number;
  idleTimeoutMs: number;
  /** Beyond this many live sessions the oldest is ended: a flood of sign-ins cannot exhaust memory. */
  maxSessions?: number;
  clock?: () => number;
}

/** 256 bits: unguessable, so the ID alone authenticates. */
const ID_BYTES = 32;

/**
 * Signed-in staff, in this process's memory. The cookie carries a random session ID; the store
 * keeps only its SHA-256, so nothing read from memory (a heap dump) is a usable cookie. A
 * restart signs everyone out, and replicas do not share sessions: the console runs as one
 * replica (see README). Idle and absolute expiry are checked on every use.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly clock: () => number;

  constructor(private readonly options: SessionStoreOptions) {
    this.clock = options.clock ?? Date.now;
  }

  create(): { id: string; session: Session } {
    this.sweep();
    const max = this.options.maxSessions ?? 1_000;
    // Map iteration is insertion order: the first key is the oldest session.
    while (this.sessions.size >= max) this.sessions.delete(this.sessions.keys().next().value!);
    const now = this.clock();
    const id = randomBytes(ID_BYTES).toString('base64url');
    const session: Session = { csrfToken: randomBytes(ID_BYTES).toString('base64url'), createdAt: now, expiresAt: now + this.options.ttlMs, lastSeenAt: now };
    this.sessions.set(hash(id), session);
    return { id, session };
  }

  /** The live session for a cookie value, its idle clock restarted; undefined when none. */
  touch(id: string | undefined): Session | undefined {
    if (!id || id.length > 100) return undefined;
    const key = hash(id);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    const now = this.clock();
    if (now >= session.expiresAt || now - session.lastSeenAt >= this.options.idleTimeoutMs) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(hash(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.clock();
    for (const [key, session] of this.sessions) {
      if (now >= session.expiresAt || now - session.lastSeenAt >= this.options.idleTimeoutMs) this.sessions.delete(key);
    }
  }
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** Compares two secrets in constant time, whatever their lengths (both are hashed first). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}
