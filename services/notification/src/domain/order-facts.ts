import type { SqlExecutor } from '@orderflow/db';
import type { OrderSnapshot } from '@orderflow/events';
import type { NotificationDraft } from './notification-log';

/** The mails that carry an order's tickets and licenses: what a later fulfillment round compares with. */
export const CONFIRMATION_KINDS: readonly string[] = ['order-confirmation', 'tickets-added'];

interface Known {
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
  private readonly known = new Map<string, Known>();

  constructor(stored: Iterable<[string, Known]> = []) {
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

  private entry(orderId: string): Known {
    let known = this.known.get(orderId);
    if (!known) this.known.set(orderId, (known = { order: null, mailed: null }));
    return known;
  }
}

const FACTS = `
SELECT ids.order_id, o.snapshot,
       (SELECT jsonb_agg(to_jsonb(n.item_ids)) FROM notifications n
        WHERE n.order_id = ids.order_id AND n.channel = 'email' AND n.kind IN (SELECT jsonb_array_elements_text($2::jsonb))) AS mailed
FROM jsonb_array_elements_text($1::jsonb) AS ids (order_id)
LEFT JOIN orders o ON o.order_id = ids.order_id`;

// Both backends (pg and PGlite) hand jsonb back parsed.
type FactsRow = { order_id: string; snapshot: OrderSnapshot | null; mailed: string[][] | null };

/** The stored facts about `orderIds`, in one statement; none asked, none read. */
export async function loadOrderFacts(sql: SqlExecutor, orderIds: readonly string[]): Promise<OrderFacts> {
  if (orderIds.length === 0) return new OrderFacts();
  const rows = await sql.query<FactsRow>(FACTS, [JSON.stringify([...new Set(orderIds)]), JSON.stringify(CONFIRMATION_KINDS)]);
  return new OrderFacts(rows.map((row) => [row.order_id, { order: row.snapshot, mailed: row.mailed && new Set(row.mailed.flat()) }]));
}
