import * as path from 'node:path';
import { openDatabase, type Database } from '@orderflow/db';
import { createTestDatabase, tempDir } from '@orderflow/testing';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;
import { claimDue, type ClaimRequest } from '../src/data/claim-rows';
import { SuccessRecorder } from '../src/data/success-rows';

const MIGRATIONS_DIR = path.join(__dirname, '..', 'prisma', 'migrations');
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The service's database on `kind`, migrated, removed after the describe's tests. */
function useDatabase(kind: 'postgres' | 'pglite') {
  const state = {} as { db: Database; server?: TestDatabase; dir?: { path: string; remove(): void } };
  beforeAll(async () => {
    if (kind === 'postgres') state.server = await createTestDatabase('dispatch_claim');
    else state.dir = tempDir('dispatch-claim-');
    state.db = await openDatabase({ url: state.server?.url, dataDir: state.dir?.path ?? '/nonexistent', name: 'outbound-dispatch', migrationsDir: MIGRATIONS_DIR, logger: silent });
  });
  afterAll(async () => {
    await state.db?.close();
    await state.server?.drop();
    state.dir?.remove();
  });
  return state;
}

describe.each(['postgres', 'pglite'] as const)('claiming due deliveries on %s', (kind) => {
  const state = useDatabase(kind);
  const now = new Date('2030-01-01T12:00:00Z');
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
  let sequence = 0;

  beforeEach(async () => {
    await state.db.sql.exec('DELETE FROM deliveries; DELETE FROM events; DELETE FROM subscriptions;');
  });

  async function subscription(id: string): Promise<void> {
    await state.db.sql.query(`INSERT INTO subscriptions (id, instance_id, url, event_types, secret) VALUES ($1, 'shop', $2, '{order.*}', 'whsec_c2VjcmV0')`, [id, `https://${id}.example/hook`]);
  }

  /** `count` due deliveries of `subscriptionId` (due `dueIn` seconds from now), each with its event; their IDs in creation order. */
  async function deliveries(subscriptionId: string, count: number, options: { dueIn?: number; leasedFor?: number; storeEvent?: boolean } = {}): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const eventId = `order.paid:ord_${++sequence}`;
      if (options.storeEvent ?? true) {
        await state.db.sql.query(`INSERT INTO events (id, type, instance_id, order_key, body, occurred_at) VALUES ($1, 'order.paid', 'shop', $2, $3, $4)`, [
          eventId,
          `ord_${sequence}`,
          JSON.stringify({ type: 'order.paid', data: { orderId: `ord_${sequence}` } }),
          now,
        ]);
      }
      const [row] = await state.db.sql.query<{ id: string }>(
        `INSERT INTO deliveries (subscription_id, event_id, event_type, order_key, status, next_attempt_at, leased_until) VALUES ($1, $2, 'order.paid', $3, 'PENDING', $4, $5) RETURNING id::text`,
        [subscriptionId, eventId, `ord_${sequence}`, at(options.dueIn ?? -60), options.leasedFor === undefined ? null : at(options.leasedFor)],
      );
      ids.push(row.id);
    }
    return ids;
  }

  const claim = (request: Partial<ClaimRequest>) => claimDue(state.db.sql, { now, leaseUntil: at(60), limit: 100, room: new Map(), otherRoom: 10, ...request });
  const idsOf = (claimed: Awaited<ReturnType<typeof claim>>, subscriptionId?: string) =>
    claimed.filter((d) => !subscriptionId || d.subscription.id === subscriptionId).map((d) => String(d.id));

  it('takes each subscription’s oldest due deliveries up to its room; one without room gets none, whatever its backlog', async () => {
    await subscription('busy');
    await subscription('quiet');
    await deliveries('busy', 30);
    const quiet = await deliveries('quiet', 3);

    const claimed = await claim({ room: new Map([['busy', 0], ['quiet', 2]]) });

    expect(idsOf(claimed)).toEqual(quiet.slice(0, 2));
    expect(claimed[0]).toMatchObject({ eventId: expect.stringMatching(/^order\.paid:/), attempts: 0, subscription: { id: 'quiet', url: 'https://quiet.example/hook', eventTypes: ['order.*'] } });
    expect(claimed[0].body).toEqual({ type: 'order.paid', data: { orderId: expect.any(String) } });
  });

  it('leases what it takes: the next claim skips it until the lease runs out, and skips what is not yet due', async () => {
    await subscription('s');
    const due = await deliveries('s', 2);
    await deliveries('s', 2, { dueIn: 30 });
    const expired = await deliveries('s', 1, { leasedFor: -1 });
    await deliveries('s', 1, { leasedFor: 30 });

    const first = await claim({});
    const second = await claim({});
    const afterLease = await claimDue(state.db.sql, { now: at(61), leaseUntil: at(120), limit: 100, room: new Map(), otherRoom: 10 });

    expect(idsOf(first).sort()).toEqual([...due, ...expired].sort());
    expect(second).toEqual([]);
    expect(idsOf(afterLease)).toHaveLength(2 + 2 + 1 + 1);
  });

  it('under the overall limit takes the oldest due of all subscriptions, so none starves another', async () => {
    await subscription('a');
    await subscription('b');
    const [oldestA] = await deliveries('a', 1, { dueIn: -50 });
    const [oldestB] = await deliveries('b', 1, { dueIn: -40 });
    await deliveries('a', 3, { dueIn: -10 });
    await deliveries('b', 3, { dueIn: -10 });

    const claimed = await claim({ limit: 2 });

    expect(idsOf(claimed)).toEqual([oldestA, oldestB]);
  });

  it('leaves subscriptions it does not know alone unless asked to look at them', async () => {
    await subscription('known');
    await subscription('other');
    const known = await deliveries('known', 1);
    const other = await deliveries('other', 1);

    expect(idsOf(await claim({ room: new Map([['known', 5]]), otherRoom: 0 }))).toEqual(known);
    expect(idsOf(await claim({ room: new Map([['known', 5]]), otherRoom: 5 }))).toEqual(other);
  });

  it('hands over a delivery whose event is gone without a body, so it fails instead of being sent', async () => {
    await subscription('s');
    const [gone] = await deliveries('s', 1, { storeEvent: false });

    const [claimed] = await claim({});

    expect(String(claimed.id)).toBe(gone);
    expect(claimed.body).toBeUndefined();
  });

  it('records a success without undoing a resend or replay that came while it was being sent', async () => {
    await subscription('sub_resent');
    const [resent, kept] = await deliveries('sub_resent', 2, { leasedFor: 30 });
    // Support resends the first while it is out (resendDelivery and replay reset it so).
    await state.db.sql.query(`UPDATE deliveries SET status = 'PENDING', attempts = 0, next_attempt_at = $2, leased_until = NULL WHERE id = $1`, [resent, now]);
    const recorder = new SuccessRecorder(state.db.sql, () => undefined);
    const success = (id: string) => recorder.record({ id: BigInt(id), ordered: false, attempts: 1, at: now, result: { status: 200, latencyMs: 5, excerpt: 'ok', retryAfterMs: null } });
    await Promise.all([success(resent!), success(kept!)]);
    const rows = await state.db.sql.query<{ id: string; status: string; attempts: number }>(`SELECT id::text, status, attempts FROM deliveries ORDER BY id`);
    // The resent one is due again (the partner gets it once more, as support asked); the other is delivered.
    expect(rows).toEqual([
      { id: resent, status: 'PENDING', attempts: 0 },
      { id: kept, status: 'DELIVERED', attempts: 1 },
    ]);
    const [{ logged }] = await state.db.sql.query<{ logged: number }>(`SELECT count(*)::int AS logged FROM delivery_attempts WHERE delivery_id = ANY($1::bigint[])`, [[resent, kept]]);
    expect(logged).toBe(2);
  });
});
