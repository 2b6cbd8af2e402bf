import type { LicenseCipher } from '../adapters/license-cipher';
import type { TicketSigner } from '../adapters/ticket-signer';
import { licensesOfOrder } from '../data/license-keys.repository';
import { ticketsOfOrder } from '../data/tickets.repository';
import type { FulfillmentJob, PrismaClient } from '../generated/prisma/client';

export interface FulfillmentViewOptions {
  signer: TicketSigner;
  cipher: LicenseCipher;
  /**
   * Whether assigned license keys are decrypted into the view. The customer's own view shows
   * them; support sees hints unless it asks, so a key is not on every screen an agent opens.
   */
  revealKeys: boolean;
}

/** An order's job, tickets (with QR payloads while issued) and licenses, as the APIs show them. */
export async function fulfillmentView(prisma: PrismaClient, job: FulfillmentJob, options: FulfillmentViewOptions) {
  const { orderId } = job;
  const [tickets, licenses] = await Promise.all([
    ticketsOfOrder(prisma, orderId),
    licensesOfOrder(prisma, orderId),
  ]);
  return {
    orderId,
    status: job.status,
    lastError: job.lastError,
    tickets: tickets.map((t) => ({
      ticketId: t.id,
      lineId: t.lineId,
      seat: t.seat,
      capacityKey: t.capacityKey,
      code: t.code,
      status: t.status,
      issuedAt: t.issuedAt.toISOString(),
      voidedAt: t.voidedAt?.toISOString() ?? null,
      qrPayload: t.status === 'ISSUED' ? options.signer.sign({ ticketId: t.id, orderId: t.orderId, capacityKey: t.capacityKey }) : null,
    })),
    licenses: licenses.map((k) => ({
      licenseId: String(k.id),
      lineId: k.lineId,
      productId: k.productId,
      unit: k.unit,
      status: k.status,
      // A revoked key is not shown again: it no longer belongs to the customer.
      key: options.revealKeys && k.status === 'ASSIGNED' ? options.cipher.decrypt(k.ciphertext) : null,
      keyHint: k.keyHint,
      assignedAt: k.assignedAt?.toISOString() ?? null,
      revokedAt: k.revokedAt?.toISOString() ?? null,
    })),
  };
}
