import type { Created } from '../domain/notification';
import { alertDeadLetters } from '../use-cases/dead-letter-alert';
import type { EventsConsumerDeps, Run } from './event-runs';

/**
 * The consumer of the dead-letter topics of every topic above (`orders.events.dlq`,
 * `fulfillment.events.dlq`, `operations.events.dlq`, `ingress.stripe.events.dlq`,
 * `ingress.wix.events.dlq`): one handling for all, so one file. A run's dead letters go to
 * dead-letter-alert, once per dead letter. A dead letter this service cannot decode never
 * arrives here: the runner hands handlers only decoded events. The run machinery is
 * event-runs.ts.
 */
export function consumeDeadLetters(deps: EventsConsumerDeps, run: Run): Promise<Created[]> {
  return alertDeadLetters(deps, run);
}
