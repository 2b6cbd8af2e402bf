import type { OutboxRelay } from '@orderflow/db';
import type { Logger } from '@orderflow/logging';
import { checkoutStatus } from '../data/checkout-locks.repository';
import type { OrderBook } from '../data/order-book';
import type { CheckoutLock, PrismaClient } from '../generated/prisma/client';
import type { OrderMetrics } from '../metrics';
import type { StripeGateway } from '../adapters/stripe.gateway';
import type { Checkouts } from './checkouts';
import { sweepExpiredCheckouts } from './expire-checkouts';
import type { Payments } from './payments';
import type { Places } from './places';
import { startCheckout, type CheckoutRequest, type CheckoutStarted } from './start-checkout';

export interface CheckoutServiceDeps {
  prisma: PrismaClient;
  book: OrderBook;
  places: Places;
  payments: Payments;
  checkouts: Checkouts;
  stripe: StripeGateway | undefined;
  relay: OutboxRelay;
  metrics: OrderMetrics;
  logger: Logger;
  lockTtlMs: number;
}

/**
 * Checkout with a lock per cart (seed 002), as the routes and the lock sweeper use it: what
 * starting one does is start-checkout.ts, what ending the expired ones does is expire-checkouts.ts.
 */
export class CheckoutService {
  constructor(private readonly deps: CheckoutServiceDeps) {}

  start(instanceId: string, request: CheckoutRequest, traceId: string): Promise<CheckoutStarted> {
    return startCheckout(this.deps, instanceId, request, traceId);
  }

  /** Ends checkouts whose lock expired without a payment; returns how many. */
  sweepExpired(limit = 50): Promise<number> {
    return sweepExpiredCheckouts(this.deps, limit);
  }

  /** The lock of a cart, with its order's status. */
  status(instanceId: string, cartId: string): Promise<{ lock: CheckoutLock; orderStatus: string | null } | null> {
    return checkoutStatus(this.deps.prisma, instanceId, cartId);
  }
}
