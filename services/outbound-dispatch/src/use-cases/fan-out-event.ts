import type { SqlExecutor } from '@orderflow/db';
import { isPartnerEvent, type AnyEvent } from '@orderflow/events';
import { storeWithDeliveries, type IntakeRow } from '../data/intake-rows';
import { partnerBody } from '../domain/partner-body';

export interface FanOutDeps {
  sql: () => SqlExecutor;
  /** New deliveries were created: the dispatcher looks for due ones now. */
  deliveriesDue: () => void;
}

type PartnerEvent = AnyEvent & { instanceId: string };

/**
 * An event partners may receive (one of an instance, of a type in the partner catalog) is stored
 * for replays and becomes a delivery for each subscription of its instance that asked for it,
 * under the name it asked for; a run of events does this in one statement, atomically, once per
 * event however often it is redelivered (intake-rows.ts). Other events are left alone.
 */
export async function fanOutEvents(deps: FanOutDeps, events: readonly AnyEvent[]): Promise<void> {
  const wanted = events.filter((event): event is PartnerEvent => isPartnerEvent(event.type) && !!event.instanceId);
  if (wanted.length === 0) return;
  const rows: IntakeRow[] = wanted.map((event) => ({
    id: event.eventId,
    type: event.type,
    instanceId: event.instanceId,
    orderKey: event.orderKey,
    body: partnerBody(event),
    occurredAt: event.occurredAt,
  }));
  if ((await storeWithDeliveries(deps.sql(), rows)) > 0) deps.deliveriesDue();
}
