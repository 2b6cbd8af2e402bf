import { z } from 'zod';
import { redactString, redactUrl } from '../redact';

/**
 * The shapes the order page reads from each service's admin API. Loose objects: a field a
 * service adds passes through; one the page needs and a service dropped fails loudly here
 * instead of rendering as blank.
 */
export const transitionSchema = z.looseObject({
  fromStatus: z.string().nullable(),
  toStatus: z.string(),
  applied: z.boolean(),
  cause: z.string(),
  reason: z.string().nullable(),
  at: z.string(),
});
export const paymentSchema = z.looseObject({ provider: z.string(), status: z.string(), amountCents: z.number(), currency: z.string(), providerPaymentRef: z.string(), createdAt: z.string() });
export const orderDetailSchema = z.looseObject({
  orderId: z.string(),
  status: z.string(),
  history: z.array(transitionSchema),
  payments: z.array(paymentSchema),
});
export const webhookSchema = z.looseObject({ id: z.string(), source: z.string(), type: z.string(), status: z.string(), error: z.string().nullable(), receivedAt: z.string(), eventId: z.string() });
const ticketSchema = z.looseObject({ code: z.string(), seat: z.number(), status: z.string(), issuedAt: z.string(), voidedAt: z.string().nullable() });
const licenseSchema = z.looseObject({ productId: z.string(), keyHint: z.string(), status: z.string(), assignedAt: z.string().nullable(), revokedAt: z.string().nullable() });
export const fulfillmentSchema = z.looseObject({
  status: z.string(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().nullable(),
  voidedAt: z.string().nullable(),
  tickets: z.array(ticketSchema),
  licenses: z.array(licenseSchema),
});
export const notificationSchema = z.looseObject({ id: z.string(), channel: z.string(), kind: z.string(), status: z.string(), attempts: z.number(), lastError: z.string().nullable(), createdAt: z.string(), sentAt: z.string().nullable(), updatedAt: z.string() });
export const deliverySchema = z.looseObject({
  id: z.string(),
  eventType: z.string(),
  status: z.string(),
  attempts: z.number(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  url: z.string().nullable().optional(),
});

export type Tone = 'ok' | 'warn' | 'bad' | 'info';

export interface TimelineEntry {
  at: string;
  /** Which part of the system said so. */
  source: 'order' | 'payment' | 'webhook' | 'fulfillment' | 'notification' | 'partner';
  title: string;
  detail: string | null;
  tone: Tone;
}

export function statusTone(status: string): Tone {
  if (['FULFILLED', 'DELIVERED', 'SENT', 'SUCCEEDED', 'COMPLETED', 'published', 'ISSUED', 'ASSIGNED', 'APPROVED', 'PAID'].includes(status)) return 'ok';
  if (['FAILED', 'failed', 'DISPUTED', 'UNMATCHED'].includes(status)) return 'bad';
  if (['REFUNDED', 'PARTIALLY_REFUNDED', 'CANCELLED', 'VOIDED', 'REVOKED', 'HELD', 'WAITING', 'PENDING', 'received'].includes(status)) return 'warn';
  return 'info';
}

export interface TimelineParts {
  order: z.infer<typeof orderDetailSchema>;
  webhooks: Array<z.infer<typeof webhookSchema>>;
  fulfillment: z.infer<typeof fulfillmentSchema> | null;
  notifications: Array<z.infer<typeof notificationSchema>>;
  deliveries: Array<z.infer<typeof deliverySchema>>;
}

/** Minor units in the currency's own decimals (1234 is €12.34 but ¥1,234), as the mails show them. */
export function money(minor: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() });
    return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${minor} ${currency}`;
  }
}

/**
 * Everything that happened to one order, oldest first, from every service that knows a part:
 * its transitions and payments (order), the provider webhooks about it (ingress), what was
 * issued and voided (fulfillment), who was told (notification), which partners were called
 * (outbound-dispatch).
 */
export function timelineOf(parts: TimelineParts): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const h of parts.order.history) {
    entries.push({
      at: h.at,
      source: 'order',
      title: h.applied ? `${h.fromStatus ?? 'new'} → ${h.toStatus}` : `Refused: ${h.fromStatus ?? 'new'} → ${h.toStatus}`,
      detail: [h.cause, h.reason].filter(Boolean).join(' — ') || null,
      tone: h.applied ? statusTone(h.toStatus) : 'bad',
    });
  }
  for (const p of parts.order.payments) {
    entries.push({ at: p.createdAt, source: 'payment', title: `${p.provider} payment ${p.status.toLowerCase()}: ${money(p.amountCents, p.currency)}`, detail: p.providerPaymentRef, tone: statusTone(p.status) });
  }
  for (const w of parts.webhooks) {
    entries.push({ at: w.receivedAt, source: 'webhook', title: `${w.source} ${w.type} ${w.status}`, detail: w.error ? redactString(w.error) : w.eventId, tone: statusTone(w.status) });
  }
  const f = parts.fulfillment;
  if (f) {
    entries.push({ at: f.createdAt, source: 'fulfillment', title: 'Fulfillment started', detail: null, tone: 'info' });
    for (const t of f.tickets) {
      entries.push({ at: t.issuedAt, source: 'fulfillment', title: `Ticket ${t.code} issued (seat ${t.seat + 1})`, detail: null, tone: 'ok' });
      if (t.voidedAt) entries.push({ at: t.voidedAt, source: 'fulfillment', title: `Ticket ${t.code} voided`, detail: null, tone: 'warn' });
    }
    for (const l of f.licenses) {
      if (l.assignedAt) entries.push({ at: l.assignedAt, source: 'fulfillment', title: `License ${l.keyHint} assigned (${l.productId})`, detail: null, tone: 'ok' });
      if (l.revokedAt) entries.push({ at: l.revokedAt, source: 'fulfillment', title: `License ${l.keyHint} revoked`, detail: null, tone: 'warn' });
    }
    if (f.completedAt) entries.push({ at: f.completedAt, source: 'fulfillment', title: 'Fulfillment completed', detail: null, tone: 'ok' });
    if (f.status === 'FAILED') entries.push({ at: f.updatedAt, source: 'fulfillment', title: 'Fulfillment failed', detail: f.lastError ? redactString(f.lastError) : null, tone: 'bad' });
    if (f.voidedAt) entries.push({ at: f.voidedAt, source: 'fulfillment', title: 'Fulfillment voided', detail: null, tone: 'warn' });
  }
  for (const n of parts.notifications) {
    entries.push({
      at: n.sentAt ?? n.updatedAt,
      source: 'notification',
      title: `${n.channel} ${n.kind}: ${n.status.toLowerCase()}`,
      detail: n.lastError ? redactString(n.lastError) : `${n.attempts} attempt${n.attempts === 1 ? '' : 's'}`,
      tone: statusTone(n.status),
    });
  }
  for (const d of parts.deliveries) {
    entries.push({
      at: d.deliveredAt ?? d.createdAt,
      source: 'partner',
      title: `${d.eventType} to ${d.url ? redactUrl(d.url) : 'a partner'}: ${d.status.toLowerCase()}`,
      detail: d.lastError ? redactString(d.lastError) : `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`,
      tone: statusTone(d.status),
    });
  }
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
