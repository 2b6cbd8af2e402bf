import type { EventSource } from '@orderflow/events';

/**
 * A webhook whose signature checked out, reduced to what the intake needs. `publishable` is
 * false for event types we acknowledge but do not forward (logged as `ignored`).
 */
export interface VerifiedEvent {
  source: Extract<EventSource, 'stripe' | 'wix'>;
  eventId: string;
  type: string;
  publishable: boolean;
  orderKey: string | null;
  instanceId: string | null;
  occurredAt: Date;
  /** The event as the catalog expects it (Stripe: the Event object; Wix: the unwrapped data). */
  payload: Record<string, unknown>;
}

/** The signature (or JWT) did not verify. `reason` is for the log, never for the client. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Authentic, but not the JSON we expect: a 400, never a 5xx. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) if (key.includes('\u0000') || holdsNul(item)) return true;
  }
  return false;
}

/**
 * Refuses (400) an event the event log could not store: Postgres text and jsonb cannot hold
 * U+0000, and an authentic event we cannot log must not be published either.
 */
export function assertStorable(event: VerifiedEvent): void {
  if (holdsNul(event.eventId) || holdsNul(event.type) || holdsNul(event.orderKey) || holdsNul(event.instanceId) || holdsNul(event.payload)) {
    throw new PayloadError('the event contains a NUL character (\\u0000), which cannot be stored');
  }
}
