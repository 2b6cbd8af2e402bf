import type { SqlExecutor } from '@orderflow/db';
import type { AnyEvent, OrderSnapshot } from '@orderflow/events';
import type { Logger } from '@orderflow/logging';
import { writeIntake, type IntakeEvent } from '../data/intake-rows';
import { loadOrderFacts } from '../data/order-facts-rows';
import type { Created, NotificationDraft } from '../domain/notification';
import type { NotificationPlanner } from '../domain/notification-planner';
import type { NotificationMetrics } from '../metrics';

export interface PlanNotificationsDeps {
  sql: () => SqlExecutor;
  planner: NotificationPlanner;
  metrics: NotificationMetrics;
  logger: Logger;
  /** Events older than this notify nobody; see NOTIFY_MAX_EVENT_AGE. */
  maxEventAgeMs: number;
}

/** The order snapshot an event carries, which refreshes the service's copy of the order. */
function snapshotIn(event: AnyEvent): OrderSnapshot | null {
  if (event.type === 'registration.promoted' || event.source === 'checkout') return (event.payload as { order: OrderSnapshot }).order;
  if (event.source === 'order' && event.type.startsWith('order.')) return event.payload as OrderSnapshot;
  return null;
}

/** The first event of each ID: a later one in the same run is a redelivery. */
function firstOfEach(events: readonly AnyEvent[]): AnyEvent[] {
  const seen = new Set<string>();
  return events.filter((event) => {
    if (seen.has(event.eventId)) return false;
    seen.add(event.eventId);
    return true;
  });
}

/**
 * Plans a run of order, fulfillment and operations events and writes it: one query for what the
 * planner must read (only with fulfillments in the run), one statement for the writes. Events are
 * planned in order against the stored facts plus what the run's earlier events change, before it
 * is known which are new: a redelivered one is planned for nothing, as its drafts are dropped.
 */
export async function planNotifications(deps: PlanNotificationsDeps, run: readonly AnyEvent[]): Promise<Created[]> {
  const events = firstOfEach(run);
  const facts = await loadOrderFacts(deps.sql(), deps.planner.ordersToLookUp(events));
  const input: IntakeEvent[] = [];
  const drafts: NotificationDraft[] = [];
  const tooOld: AnyEvent[] = [];
  const now = Date.now();
  for (const event of events) {
    const order = snapshotIn(event);
    input.push({ id: event.eventId, snapshot: order ?? undefined });
    if (order) facts.noteSnapshot(order);
    if (now - Date.parse(event.occurredAt) > deps.maxEventAgeMs) {
      tooOld.push(event);
      continue;
    }
    const planned = deps.planner.plan(event, facts);
    facts.noteDrafts(planned);
    drafts.push(...planned);
  }
  const row = await writeIntake(deps.sql(), input, drafts);
  const fresh = new Set(row.fresh);
  for (const event of tooOld.filter((e) => fresh.has(e.eventId))) {
    // Debug, with a counter: a first deployment reads a whole topic's history.
    deps.metrics.tooOld.inc();
    deps.logger.debug({ eventId: event.eventId, type: event.type, occurredAt: event.occurredAt }, 'event too old to notify anyone; skipped');
  }
  return row.created;
}
