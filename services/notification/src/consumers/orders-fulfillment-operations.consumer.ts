import type { Created } from '../domain/notification';
import { planNotifications } from '../use-cases/plan-notifications';
import type { EventsConsumerDeps, Run } from './event-runs';

/**
 * The consumer of `orders.events`, `fulfillment.events` and `operations.events` (Topics.orders,
 * Topics.fulfillment, Topics.operations). The three are handled alike, so they share this file:
 * a run's events go to plan-notifications, once per event ID, where an order snapshot refreshes
 * the service's copy of the order and the planner decides who hears about the event (the table
 * of what each event type sends is in domain/notification-planner.ts). The run machinery is
 * event-runs.ts.
 */
export function consumeNotifiedEvents(deps: EventsConsumerDeps, run: Run): Promise<Created[]> {
  return planNotifications(deps, run.map(({ event }) => event));
}
