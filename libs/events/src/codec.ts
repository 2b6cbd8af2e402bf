import { z } from 'zod';
import { eventCatalog, isEventType, type AnyEvent, type EventOf, type EventType } from './catalog';
import { envelopeSchema } from './envelope.schema';
import { EventValidationError } from './event-validation.error';
import type { TopicName } from './topics';

/** What goes on the wire: the topic from the catalog, the order key as message key, JSON bytes. */
export interface EncodedEvent {
  topic: TopicName;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** What `decodeEvent` needs from a consumed message; a client's message object fits. */
export interface RawMessage {
  value: Buffer | string | null;
}

export type DecodeResult = { ok: true; event: AnyEvent } | { ok: false; reason: string; issues?: readonly z.core.$ZodIssue[] };

/**
 * Headers duplicate a few envelope fields so tools (kcat, the DLQ replayer, broker-side filters)
 * can route and search without parsing the value. The value stays the source of truth.
 */
export const EventHeaders = {
  eventId: 'event-id',
  type: 'event-type',
  version: 'event-version',
  traceId: 'trace-id',
  contentType: 'content-type',
} as const;

type Check = { ok: true; event: AnyEvent } | { ok: false; reason: string; issues: readonly z.core.$ZodIssue[] };

function check(input: unknown): Check {
  const envelope = envelopeSchema.safeParse(input);
  if (!envelope.success) {
    return { ok: false, reason: `invalid envelope: ${z.prettifyError(envelope.error)}`, issues: envelope.error.issues };
  }
  const { type, version } = envelope.data;
  if (!isEventType(type)) return { ok: false, reason: `unknown event type "${type}"`, issues: [] };
  const entry = eventCatalog[type];
  if (version !== entry.version) {
    return { ok: false, reason: `unsupported version ${version} of "${type}" (catalog has ${entry.version})`, issues: [] };
  }
  const payload = entry.payload.safeParse(envelope.data.payload);
  if (!payload.success) {
    return { ok: false, reason: `invalid payload of "${type}": ${z.prettifyError(payload.error)}`, issues: payload.error.issues };
  }
  return { ok: true, event: { ...envelope.data, payload: payload.data } as AnyEvent };
}

/**
 * Validates an event against the catalog and encodes it for Kafka. Throws `EventValidationError`
 * (non-retriable) with zod's issues: an invalid event must never reach a topic, where every
 * consumer would have to dead-letter it.
 */
export function encodeEvent(event: AnyEvent): EncodedEvent {
  const checked = check(event);
  if (!checked.ok) throw new EventValidationError(checked.reason, checked.issues);
  const e = checked.event;
  return {
    topic: eventCatalog[e.type].topic,
    key: e.orderKey,
    value: Buffer.from(JSON.stringify(e)),
    headers: {
      [EventHeaders.eventId]: e.eventId,
      [EventHeaders.type]: e.type,
      [EventHeaders.version]: String(e.version),
      [EventHeaders.traceId]: e.traceId,
      [EventHeaders.contentType]: 'application/json',
    },
  };
}

/**
 * Parses and validates a consumed message. Never throws: whatever is on a topic (truncated bytes,
 * another team's JSON, an event from a newer producer) becomes `{ ok: false, reason }`, which the
 * consumer runner dead-letters with that reason.
 */
export function decodeEvent(message: RawMessage): DecodeResult {
  if (message.value === null || message.value.length === 0) return { ok: false, reason: 'empty message value' };
  let json: unknown;
  try {
    json = JSON.parse(typeof message.value === 'string' ? message.value : message.value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `value is not JSON: ${(err as Error).message}` };
  }
  const checked = check(json);
  return checked.ok ? checked : { ok: false, reason: checked.reason, issues: checked.issues };
}

/** What a producer decides about an event it originates; `newEvent` fills in the rest. */
export interface NewEventInput<T extends EventType> {
  type: T;
  /** Stable for the same fact (derived from what happened, not random), so a republish keeps it. */
  eventId: string;
  orderKey: string;
  instanceId: string | null;
  traceId: string;
  payload: EventOf<T>['payload'];
}

/** An envelope for one of our own events: version and source from the catalog, times now. */
export function newEvent<T extends EventType>(input: NewEventInput<T>): EventOf<T> {
  const now = new Date().toISOString();
  const entry = eventCatalog[input.type];
  return { ...input, version: entry.version, source: entry.source, occurredAt: now, receivedAt: now } as EventOf<T>;
}
