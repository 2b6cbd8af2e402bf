import { createHash } from 'node:crypto';
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
  /** Set by a verifier when the event is authentic but not what the catalog expects. */
  problem?: Quarantine;
}

/**
 * Why an authentic event cannot be published. It is answered 200 (the provider sent it as it
 * meant to; a retry would bring the same bytes), logged as `quarantined` with `detail`, counted
 * by `code`, and replayable once a fix makes it publishable.
 */
export interface Quarantine {
  code: 'invalid_event' | 'no_order_key' | 'identifier_too_long' | 'too_deep' | 'invalid_text' | 'too_large';
  detail: string;
}

/** The latest time an envelope can carry (ISO 8601 with a four-digit year). */
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * When the provider says the event happened, if that is a time an envelope can carry; else the
 * time of receipt (the field is informational, and Stripe's and Wix's own are always sane).
 */
export function occurredAt(epochMs: number): Date {
  return Number.isFinite(epochMs) && epochMs >= 0 && epochMs <= LATEST ? new Date(epochMs) : new Date();
}

/** The signature (or JWT) did not verify. `reason` is for the log, never for the client. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Authentic, but not an event at all (not JSON, no ID or type): a 400, never a 5xx. */
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
function unstorable(root: unknown): Quarantine | null {
  const pending: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string') {
      const why = badString(value);
      if (why) return { code: 'invalid_text', detail: why };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_DEPTH) return { code: 'too_deep', detail: `the event is nested deeper than ${MAX_DEPTH} levels` };
    if (Array.isArray(value)) {
      for (const item of value) pending.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const why = badString(key);
      if (why) return { code: 'invalid_text', detail: why };
      pending.push({ value: item, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Why an authentic event cannot be published whole, or null: what its verifier found, then
 * identifiers past the catalog's limits, then text the event log cannot store or nesting too
 * deep. Checked before anything recursive or anything that hashes a key touches the event.
 */
export function quarantineReason(event: VerifiedEvent): Quarantine | null {
  if (event.problem) return event.problem;
  for (const [name, value] of [['event ID', event.eventId], ['order reference', event.orderKey], ['instance ID', event.instanceId]] as const) {
    if (value !== null && value.length > IDENTIFIER_LIMITS.providerId) {
      return { code: 'identifier_too_long', detail: `the event's ${name} is longer than ${IDENTIFIER_LIMITS.providerId} characters` };
    }
  }
  if (event.type.length > IDENTIFIER_LIMITS.type) return { code: 'identifier_too_long', detail: `the event type is longer than ${IDENTIFIER_LIMITS.type} characters` };
  return unstorable([event.eventId, event.type, event.orderKey, event.instanceId, event.payload]);
}

/** `text` if a log column can hold it within `limit` characters (and its index can take it), else null. */
function storableText(text: string | null, limit: number): string | null {
  return text !== null && text.length <= limit && badString(text) === null ? text : null;
}

/**
 * A quarantined event as the log can hold it: an event ID it cannot store becomes a digest of
 * it (the same for every retry, so a redelivery is still a duplicate), identifiers it cannot
 * store are left out, and a payload it cannot store is kept only as the raw body.
 */
export function storableForm(event: VerifiedEvent): Pick<VerifiedEvent, 'eventId' | 'type' | 'orderKey' | 'instanceId'> & { payload: Record<string, unknown> | null } {
  return {
    eventId: storableText(event.eventId, IDENTIFIER_LIMITS.providerId) ?? `sha256:${createHash('sha256').update(event.eventId).digest('hex')}`,
    type: storableText(event.type, IDENTIFIER_LIMITS.type) ?? 'unstorable',
    orderKey: storableText(event.orderKey, IDENTIFIER_LIMITS.orderKey),
    instanceId: storableText(event.instanceId, IDENTIFIER_LIMITS.instanceId),
    payload: unstorable(event.payload) ? null : event.payload,
  };
}
