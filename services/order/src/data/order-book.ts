import { enqueueMany, type OutboxMessage, type Tx } from '@orderflow/db';
import { encodeEvent, newEvent, type AnyEvent, type EventType, type NewEventInput, type OrderStatus } from '@orderflow/events';
import { changedFields, prepareOrder, snapshotOf, stepsOf, type Cause, type LoadedOrder, type NewOrder, type OrderPatch, type OrderReference } from '../domain/order';
import { decide, eventsOnEntering, type TransitionDecision } from '../domain/order-state';
import type { PaymentRow } from '../domain/payments';
import type { OrderMetrics } from '../metrics';
import { DeferredOrderWrites } from './deferred-writes';
import { LockedOrders } from './locked-orders';
import { afterUpdate, insertOrder, loadOrder, lockAndLoad, lockAndLoadAll, lockAndLoadFirst, updateOrder, type StatusChange } from './order-rows';

/**
 * Every change to an order goes through here, inside the caller's transaction:
 *
 * - the order row is locked (`FOR UPDATE`) before it is read, so a checkout sweep, an admin
 *   action and a consumer never interleave on one order;
 * - the state machine decides; a refused change is recorded and counted, never applied;
 * - the domain events of an applied change go to the outbox in the same transaction, with IDs
 *   derived from the order and its version, so a replayed publication carries the same ID.
 */
export class OrderBook {
  /** What transactions handling a run of events hold back and know ahead (see handlingRun). */
  private readonly runs = new WeakMap<Tx, RunScope>();

  constructor(private readonly metrics: OrderMetrics) {}

  /**
   * Runs `work` for a run of consumed events in one transaction, `tx`, at a few statements for
   * the run rather than a few per event:
   *
   * - every order `references` find is locked and read ahead, in one statement, and the lookups
   *   `work` makes are answered from those (see LockedOrders);
   * - the order rows this book inserts and changes are held back and written a statement each
   *   (all inserts, then all changes) before any other statement runs in the transaction `work`
   *   is given, which it must use (see DeferredOrderWrites);
   * - every outbox message is held back and written in one statement at the end, in emission
   *   order, so publication order is unchanged.
   *
   * If a write fails, so does the call, and the caller's transaction rolls back with it.
   */
  async handlingRun<R>(tx: Tx, references: ReadonlyArray<readonly [OrderReference, string]>, work: (tx: Tx) => Promise<R>): Promise<R> {
    const writes = new DeferredOrderWrites(tx);
    const run: RunScope = { writes, outbox: [] };
    this.runs.set(writes.tx, run);
    try {
      if (references.length > 0) run.locked = new LockedOrders(references, await lockAndLoadAll(writes.tx, references));
      const result = await work(writes.tx);
      await writes.flush();
      await enqueueMany(tx, run.outbox);
      return result;
    } finally {
      this.runs.delete(writes.tx);
    }
  }

  /** The order, locked for the rest of the transaction; null when there is none. */
  async lock(tx: Tx, id: string): Promise<LoadedOrder | null> {
    return this.lockBy(tx, { id });
  }

  /** Finds the order by one unique reference and locks it. */
  async lockBy(tx: Tx, where: Partial<Record<OrderReference, string>>): Promise<LoadedOrder | null> {
    const [reference, value] = Object.entries(where)[0] as [OrderReference, string];
    const known = this.runs.get(tx)?.locked?.lookup([[reference, value]]);
    return known !== undefined ? known : lockAndLoad(tx, reference, value);
  }

  /** The order found by the first of `references` that finds one, locked; null when none does. */
  async lockFirst(tx: Tx, references: ReadonlyArray<readonly [OrderReference, string | null]>): Promise<LoadedOrder | null> {
    const known = this.runs.get(tx)?.locked?.lookup(references);
    return known !== undefined ? known : lockAndLoadFirst(tx, references);
  }

  /** A new PENDING order with its lines; announces order.created and order.pending. */
  async create(tx: Tx, input: NewOrder, cause: Cause): Promise<LoadedOrder> {
    return this.insert(tx, prepareOrder(input), cause);
  }

  /**
   * Inserts a prepared order, announcing order.created and order.pending. With `through` (each
   * step allowed by the state machine from PENDING on, e.g. PAID then APPROVED) it is inserted
   * as it stands after them, in the same statement: the transitions recorded and announced as
   * `transition` would, each step's events with its own status and version. With `payment`, its
   * row goes in with it. One statement for what would otherwise be four.
   */
  async insert(tx: Tx, order: LoadedOrder, cause: Cause, options: { through?: readonly OrderStatus[]; payment?: PaymentRow } = {}): Promise<LoadedOrder> {
    const steps = stepsOf(order, options.through ?? []).map(({ from, to }) => {
      if (decide(from, to) !== 'apply') throw new Error(`a new order cannot go ${from} → ${to}`);
      return { from, to, reason: null, cause: cause.kind, eventId: cause.eventId };
    });
    const last = steps.at(-1);
    const inserted = last ? { ...order, status: last.to, version: steps.length } : order;
    const run = this.runs.get(tx);
    if (run) run.writes.insert({ order: inserted, lines: inserted.lines, cause, steps, payment: options.payment });
    else await insertOrder(tx, inserted, inserted.lines, cause, steps, options.payment);
    run?.locked?.written(inserted);
    this.metrics.transitions.inc({ from: 'NEW', to: 'PENDING' });
    await this.announce(tx, ['order.created', 'order.pending'], { ...inserted, status: 'PENDING', version: 0 }, null, cause);
    await this.announceSteps(tx, steps, inserted, cause);
    return inserted;
  }

  /**
   * Moves `order` to `to` if the state machine allows it. Returns the decision; on `apply` the
   * order passed in is stale, use the returned one.
   */
  async transition(
    tx: Tx,
    order: LoadedOrder,
    to: OrderStatus,
    cause: Cause,
    options: { reason?: string | null; patch?: OrderPatch } = {},
  ): Promise<{ decision: TransitionDecision; order: LoadedOrder }> {
    const from = order.status as OrderStatus;
    const decision = decide(from, to);
    if (decision === 'apply') return { decision, order: await this.apply(tx, order, [to], cause, options) };
    if (decision === 'illegal') {
      this.metrics.illegalTransitions.inc({ from, to, cause: cause.kind });
      await tx.$executeRawUnsafe(
        'INSERT INTO order_transitions (order_id, from_status, to_status, applied, cause, event_id, reason) VALUES ($1, $2, $3, false, $4, $5, $6)',
        order.id,
        from,
        to,
        cause.kind,
        cause.eventId,
        `refused: ${from} → ${to} is not allowed`,
      );
    }
    return { decision, order };
  }

  /**
   * Moves `order` through `path` (PAID, then APPROVED) as that many transitions would: a
   * transition record and the events of each step, each step's events with its own status and
   * version. When the state machine allows every step, that is one update of the order; otherwise
   * the steps go one at a time and stop at the first not applied, whose decision is returned.
   */
  async advance(tx: Tx, order: LoadedOrder, path: readonly OrderStatus[], cause: Cause): Promise<{ decision: TransitionDecision; order: LoadedOrder }> {
    const allowed = stepsOf(order, path).every(({ from, to }) => decide(from, to) === 'apply');
    if (allowed) return { decision: 'apply', order: await this.apply(tx, order, path, cause, {}) };
    let current = order;
    for (const to of path) {
      const step = await this.transition(tx, current, to, cause);
      if (step.decision !== 'apply') return step;
      current = step.order;
    }
    return { decision: 'apply', order: current };
  }

  /** The allowed steps `path` in one update; `options.reason` is the last step's. */
  private async apply(tx: Tx, order: LoadedOrder, path: readonly OrderStatus[], cause: Cause, options: { reason?: string | null; patch?: OrderPatch }): Promise<LoadedOrder> {
    const steps = stepsOf(order, path).map(({ from, to }, i) => ({
      from,
      to,
      reason: i === path.length - 1 ? (options.reason ?? null) : null,
      cause: cause.kind,
      eventId: cause.eventId,
    }));
    const updated = await this.update(tx, order, changedFields(order, options.patch ?? {}), steps);
    await this.announceSteps(tx, steps, updated, cause);
    return updated;
  }

  /**
   * Counts and announces each of `steps`, applied in one write that left the order as `after`:
   * each step's events carry the order as it stood after that step (its status, reason and
   * version), the last one `after` itself.
   */
  private async announceSteps(tx: Tx, steps: ReadonlyArray<{ from: OrderStatus; to: OrderStatus; reason: string | null }>, after: LoadedOrder, cause: Cause): Promise<void> {
    for (const [i, step] of steps.entries()) {
      this.metrics.transitions.inc({ from: step.from, to: step.to });
      const state = { ...after, status: step.to, reason: step.reason, version: after.version - (steps.length - 1 - i) };
      await this.announce(tx, eventsOnEntering(step.to), state, step.from, cause);
    }
  }

  /** Updates fields without a status change (a linked session, a Wix order number); nothing when none differs. */
  async patch(tx: Tx, order: LoadedOrder, patch: OrderPatch): Promise<LoadedOrder> {
    const changed = changedFields(order, patch);
    return Object.keys(changed).length === 0 ? order : this.update(tx, order, changed);
  }

  /** Writes a change to a locked order, or holds it back (see handlingRun); returns the order as changed. */
  private async update(tx: Tx, order: LoadedOrder, patch: OrderPatch, steps: readonly StatusChange[] = []): Promise<LoadedOrder> {
    const run = this.runs.get(tx);
    let after: LoadedOrder;
    if (run) {
      const change = { id: order.id, at: new Date(), patch, steps };
      run.writes.update(change);
      after = afterUpdate(order, change);
    } else {
      after = await updateOrder(tx, order, patch, steps);
    }
    run?.locked?.written(after);
    return after;
  }

  /** The order as committed so far in this transaction, with its lines and registrations. */
  reload(tx: Tx, id: string): Promise<LoadedOrder | null> {
    return loadOrder(tx, id);
  }

  /**
   * Puts `types` about `order` in the outbox. Event IDs are `<type>:<order>:<version>`: the same
   * change always yields the same ID, which is what consumers deduplicate on.
   */
  async announce(tx: Tx, types: readonly EventType[], order: LoadedOrder, previousStatus: OrderStatus | null, cause: Cause, reason?: string | null): Promise<void> {
    const payload = snapshotOf(order, previousStatus, cause, reason);
    await this.write(
      tx,
      types.map((type) =>
        encodeEvent(newEvent({ type, eventId: `${type}:${order.id}:${order.version}`, orderKey: order.id, instanceId: order.instanceId, traceId: cause.traceId, payload }) as AnyEvent),
      ),
    );
  }

  /** Any catalog event through the outbox, validated before it is stored. */
  async emit<T extends EventType>(tx: Tx, event: NewEventInput<T>): Promise<void> {
    await this.write(tx, [encodeEvent(newEvent(event) as AnyEvent)]);
  }

  private async write(tx: Tx, messages: OutboxMessage[]): Promise<void> {
    const run = this.runs.get(tx);
    if (run) run.outbox.push(...messages);
    else await enqueueMany(tx, messages);
  }
}

/** A run's transaction: its held-back order rows and outbox messages, and the orders it locked ahead. */
interface RunScope {
  writes: DeferredOrderWrites;
  outbox: OutboxMessage[];
  locked?: LockedOrders;
}
