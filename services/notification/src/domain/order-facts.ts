import type { OrderSnapshot } from '@orderflow/events';
import type { NotificationDraft } from './notification';

/** The mails that carry an order's tickets and licenses: what a later fulfillment round compares with. */
export const CONFIRMATION_KINDS: readonly string[] = ['order-confirmation', 'tickets-added'];

/** What is stored about an order: its copy and what its confirmation mails carried. */
export interface KnownOrder {
  order: OrderSnapshot | null;
  /** Item IDs of the order's confirmation mails so far; null while it has none. */
  mailed: Set<string> | null;
}

const isNewer = (candidate: OrderSnapshot, current: OrderSnapshot | null) => !current || Date.parse(current.updatedAt) <= Date.parse(candidate.updatedAt);

/**
 * What the planner reads about orders while it plans a run of events: the order copies and the
 * confirmation mails as the database had them before the run (one query for the whole run), with
 * what the run's earlier events change on top, so an event is planned as if the events before it
 * had been written already. Two rounds of one order's fulfillment in one run then mail the
 * second round's new items, not a second confirmation.
 */
export class OrderFacts {
  private readonly known = new Map<string, KnownOrder>();

  constructor(stored: Iterable<[string, KnownOrder]> = []) {
    for (const [orderId, known] of stored) this.known.set(orderId, known);
  }

  order(orderId: string): OrderSnapshot | null {
    return this.known.get(orderId)?.order ?? null;
  }

  mailedItems(orderId: string): ReadonlySet<string> | null {
    return this.known.get(orderId)?.mailed ?? null;
  }

  /** A snapshot the run saves; only newer replaces older, as in the orders table. */
  noteSnapshot(order: OrderSnapshot): void {
    const known = this.entry(order.orderId);
    if (isNewer(order, known.order)) known.order = order;
  }

  /** Drafts the run writes: its confirmation mails count as mailed for the events after it. */
  noteDrafts(drafts: readonly NotificationDraft[]): void {
    for (const draft of drafts) {
      if (draft.channel !== 'email' || !draft.orderId || !CONFIRMATION_KINDS.includes(draft.kind)) continue;
      const known = this.entry(draft.orderId);
      known.mailed ??= new Set();
      for (const item of draft.itemIds ?? []) known.mailed.add(item);
    }
  }

  private entry(orderId: string): KnownOrder {
    let known = this.known.get(orderId);
    if (!known) this.known.set(orderId, (known = { order: null, mailed: null }));
    return known;
  }
}
