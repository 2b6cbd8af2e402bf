import { Topics } from '@orderflow/events';

/** The provider topics whose traffic is "webhook activity". */
export const INGRESS_TOPICS: ReadonlySet<string> = new Set([Topics.stripeIngress, Topics.wixIngress]);

/** The alert rule: more than this many dead-lettered provider events within an hour. */
export const WEBHOOK_FAILURE_THRESHOLD = 5;
