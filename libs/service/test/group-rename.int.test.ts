import { createBus, type BatchingProducer, type Bus } from '@orderflow/kafka';
import { startTestBroker, tempDir, uniqueName, waitFor, type TestBroker } from '@orderflow/testing';
import { defineService, groupIdOf, type ServicePrisma } from '../src';
import { adapterClient, caughtUp, MIGRATIONS_DIR, publish, range, serviceConfig } from './support';

let broker: TestBroker;
let bus: Bus;
let producer: BatchingProducer;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  broker = await startTestBroker();
  bus = createBus({ brokers: broker.brokers, clientId: 'group-rename-test' });
  producer = bus.createProducer();
  dir = tempDir();
});

afterAll(async () => {
  await bus?.close();
  await broker?.stop();
  dir?.remove();
});

/** Each event's number, once per time it was handled, in the order handled. */
const handledBy = (handled: number[]) => async (event: { traceId: string }) => void handled.push(Number(event.traceId));

describe('a consumer group renamed by an upgrade', () => {
  it('carries on where the former group committed: nothing handled twice, nothing skipped', async () => {
    const topic = uniqueName('renamed');
    const formerGroupId = uniqueName('former');
    const name = uniqueName('svc');
    const handled: number[] = [];

    // The deployment before the upgrade, consuming under the former name.
    await publish(producer, topic, 0);
    const before = await bus.runConsumer({ groupId: formerGroupId, topics: [topic], handler: handledBy(handled) });
    for (const n of range(1, 10)) await publish(producer, topic, n);
    await waitFor(() => handled.length === 10, { description: 'the former deployment handled 0-9' });
    await before.stop();

    // Published while the upgrade is under way: nobody consumes.
    for (const n of range(10, 20)) await publish(producer, topic, n);

    const upgraded = () =>
      defineService<ServicePrisma>({ name, origin: 'dispatch', config: serviceConfig(broker.brokers, dir.path) }, () => ({
        database: { url: undefined, migrationsDir: MIGRATIONS_DIR, client: adapterClient },
        topics: { ensure: [topic] },
        consumer: () => ({ formerGroupId, topics: [topic], handler: handledBy(handled) }),
        openApi: { openapi: '3.1.0', info: { title: 'test', version: '1' }, paths: {} },
        routes: () => undefined,
      }));
    const after = upgraded();
    await after.start();
    for (const n of range(20, 30)) await publish(producer, topic, n);
    await waitFor(() => handled.length >= 30, { description: `${groupIdOf(name)} handled 10-29` });
    await after.stop();

    // Started again, the group has offsets of its own: they are not replaced by the former's.
    for (const n of range(30, 35)) await publish(producer, topic, n);
    const restarted = upgraded();
    await restarted.start();
    // Committed up to the end of every partition: a replay from the former group's offsets would
    // have been handled by then.
    await waitFor(() => caughtUp(broker.brokers, groupIdOf(name), topic), { description: 'the restarted service handled 30-34' });
    await restarted.stop();

    expect([...handled].sort((a, b) => a - b)).toEqual(range(0, 35));
  });
});
