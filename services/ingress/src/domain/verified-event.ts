import { createHash } from 'node:crypto';
import { IDENTIFIER_LIMITS, type EventSource } from '@orderflow/events';
import { findUnstorable, textProblem } from '@orderflow/http';

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
  return findUnstorable([event.eventId, event.type, event.orderKey, event.instanceId, event.payload], { noun: 'the event' });
}

/** `text` if a log column can hold it within `limit` characters (and its index can take it), else null. */
function storableText(text: string | null, limit: number): string | null {
  return text !== null && text.length <= limit && textProblem(text) === null ? text : null;
}

/** A quarantined event's fields as the log can hold them. */
export type StorableForm = Pick<VerifiedEvent, 'eventId' | 'type' | 'orderKey' | 'instanceId'> & { payload: Record<string, unknown> | null };

/**
 * A quarantined event as the log can hold it: an event ID it cannot store becomes a digest of
 * it (the same for every retry, so a redelivery is still a duplicate), identifiers it cannot
 * store are left out, and a payload it cannot store is kept only as the raw body.
 */
export function storableForm(event: VerifiedEvent): StorableForm {
  return {
    eventId: storableText(event.eventId, IDENTIFIER_LIMITS.providerId) ?? `sha256:${createHash('sha256').update(event.eventId).digest('hex')}`,
    type: storableText(event.type, IDENTIFIER_LIMITS.type) ?? 'unstorable',
    orderKey: storableText(event.orderKey, IDENTIFIER_LIMITS.orderKey),
    instanceId: storableText(event.instanceId, IDENTIFIER_LIMITS.instanceId),
    payload: findUnstorable(event.payload) ? null : event.payload,
  };
}
