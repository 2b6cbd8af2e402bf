import type { BatchEventHandler, EventHandler } from '@orderflow/kafka';
import { fanOutEvents, type FanOutDeps } from '../use-cases/fan-out-event';

/**
 * The consumer of `orders.events` and `fulfillment.events` (Topics.orders, Topics.fulfillment),
 * one consumer subscribed to both: the two topics are handled alike, every event handed to
 * fan-out-event, which keeps those partners may receive, so they share one file. A run of
 * consecutive events of one partition is handed over at once (one statement).
 */
export type IntakeDeps = FanOutDeps;

export const intakeHandler = (deps: IntakeDeps): EventHandler => (event) => fanOutEvents(deps, [event]);

export const intakeBatchHandler = (deps: IntakeDeps): BatchEventHandler => (run) => fanOutEvents(deps, run.map(({ event }) => event));
