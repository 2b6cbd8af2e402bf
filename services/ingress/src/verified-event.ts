import { IDENTIFIER_LIMITS, type EventSource } from '@orderflow/events';

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

/** Deeper than any provider's event (Stripe's and Wix's nest under 10), shallow enough for any recursion. */
const MAX_DEPTH = 64;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function badString(text: string): string | null {
  if (text.includes('\u0000')) return 'the event contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'the event contains an unpaired UTF-16 surrogate (not Unicode text), which cannot be stored';
  return null;
}

/**
 * Why the event log could not store `root` (Postgres text and jsonb hold neither U+0000 nor
 * unpaired surrogates), or why it is too deep to handle; null when it is fine. Walked with a
 * stack of its own, never by recursion, so no body can overflow the call stack here, and one
 * that passes is shallow enough for what comes after (JSON.stringify, the consumers).
 */
function unstorable(root: unknown): string | null {
  const pending: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string') {
      const why = badString(value);
      if (why) return why;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_DEPTH) return `the event is nested deeper than ${MAX_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (const item of value) pending.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const why = badString(key);
      if (why) return why;
      pending.push({ value: item, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Refuses (400) an event the event log could not store, that nests too deep, or whose
 * identifiers are past the catalog's limits: an authentic event we cannot log and publish whole
 * must not be half-processed either.
 */
export function assertStorable(event: VerifiedEvent): void {
  for (const [name, value] of [['event ID', event.eventId], ['order reference', event.orderKey], ['instance ID', event.instanceId]] as const) {
    if (value !== null && value.length > IDENTIFIER_LIMITS.providerId) throw new PayloadError(`the event's ${name} is longer than ${IDENTIFIER_LIMITS.providerId} characters`);
  }
  if (event.type.length > IDENTIFIER_LIMITS.type) throw new PayloadError(`the event type is longer than ${IDENTIFIER_LIMITS.type} characters`);
  const why = unstorable([event.eventId, event.type, event.orderKey, event.instanceId, event.payload]);
  if (why) throw new PayloadError(why);
}
