import type { SqlExecutor } from '@orderflow/db';
import type { AnyEvent } from '@orderflow/events';
import type { EventContext } from '@orderflow/kafka';
import { recordIngress } from '../data/webhook-activity-rows';
import { positionOf } from '../domain/message-position';

/**
 * A run of provider events read from an ingress topic, counted in the day's webhook activity
 * (the daily summary's numbers) in one statement: "received" on the day the ingress received
 * an event ID not seen before, "retried" on the day it was read when the ID was seen before (an
 * admin replay, or a publish whose acknowledgement was lost). Each message counts once,
 * however often it is delivered, so the key is its position, not its event ID. Nobody is notified.
 */
export async function recordWebhookActivity(sql: SqlExecutor, run: ReadonlyArray<{ event: AnyEvent; context: EventContext }>): Promise<void> {
  await recordIngress(sql, run.map(({ event, context }) => ({ position: positionOf(context), event })));
}
