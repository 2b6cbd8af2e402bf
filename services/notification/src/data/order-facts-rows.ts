import type { SqlExecutor } from '@orderflow/db';
import type { OrderSnapshot } from '@orderflow/events';
import { CONFIRMATION_KINDS, OrderFacts } from '../domain/order-facts';

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
