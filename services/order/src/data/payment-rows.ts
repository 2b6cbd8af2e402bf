import type { Tx } from '@orderflow/db';
import type { PaymentRow } from '../domain/payments';

/** A payment of the order, or an unmatched one (`orderId` null), in SQL. */
export async function insertPayment(tx: Tx, orderId: string | null, row: PaymentRow): Promise<void> {
  await tx.$executeRawUnsafe(
    `INSERT INTO payments (order_id, provider, provider_payment_ref, status, amount_cents, currency, event_id, raw_payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
    orderId,
    row.provider,
    row.providerPaymentRef,
    row.status,
    row.amountCents,
    row.currency,
    row.eventId,
    row.raw,
  );
}

/** Whether the provider's payment `providerPaymentRef` is already recorded as succeeded for the order. */
export async function hasSucceededPayment(tx: Tx, orderId: string, providerPaymentRef: string): Promise<boolean> {
  const [row] = await tx.$queryRawUnsafe<Array<{ found: boolean }>>(
    `SELECT EXISTS (SELECT 1 FROM payments WHERE order_id = $1 AND provider_payment_ref = $2 AND status = 'SUCCEEDED') AS found`,
    orderId,
    providerPaymentRef,
  );
  return row?.found === true;
}
