import type { LoadedOrder } from './order';

/** Lock states in which a checkout is still running and the cart stays locked. */
export const ACTIVE_LOCK_STATES = ['LOCKED', 'AWAITING_PAYMENT'] as const;

/** One phase in a checkout lock's record (`phases`), as `GET /api/checkout/status` shows it. */
export interface PhaseEntry {
  phase: string;
  at: string;
  outcome: 'ok' | 'failed' | 'rolled_back';
  detail?: string;
}

/** A phase entry made now. */
export function phaseEntry(phase: string, outcome: PhaseEntry['outcome'], detail?: string): PhaseEntry {
  return { phase, at: new Date().toISOString(), outcome, ...(detail ? { detail } : {}) };
}

/** Whether the order came from our checkout, the only orders with a checkout lock to complete or fail. */
export function fromCheckout(order: LoadedOrder): boolean {
  return order.source === 'checkout';
}
