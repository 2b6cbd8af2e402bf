import { startHttpServer } from '@orderflow/http';
import { createBus, type Bus } from '@orderflow/kafka';
import { startTestBroker, tempDir, uniqueName, waitFor, type TestBroker } from '@orderflow/testing';
import { defineService, groupIdOf, type ServiceDefinition, type ServicePrisma } from '../src';
import { adapterClient, capturedLogger, caughtUp, MIGRATIONS_DIR, publish, range, serviceConfig, stoppedSteps } from './support';

let broker: TestBroker;
let bus: Bus;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  broker = await startTestBroker();
  bus = createBus({ brokers: broker.brokers, clientId: 'define-service-test' });
  dir = tempDir();
});

afterAll(async () => {
  await bus?.close();
  await broker?.stop();
  dir?.remove();
});

type Definition = ServiceDefinition<ServicePrisma, Record<string, never>>;

/** A service on its own topic and database whose workers and closer write what they do to `recorded`. */
function testService(recorded: string[], overrides: Partial<Definition> = {}, stopStepTimeoutMs?: number) {
  const topic = uniqueName('define-service');
  const { logger, lines } = capturedLogger();
  const service = defineService<ServicePrisma>(
    { name: uniqueName('svc'), origin: 'order', config: serviceConfig(broker.brokers, dir.path), logger },
    () => ({
      database: { url: undefined, migrationsDir: MIGRATIONS_DIR, client: adapterClient },
      topics: { ensure: [topic], withDeadLetters: true },
      outboxRelay: true,
      workers: () => ['first', 'second'].map((name) => ({ name, start: () => void recorded.push(`${name} started`), stop: () => void recorded.push(`${name} stopped`) })),
      reads: [topic],
      consumer: () => ({ handler: async () => void recorded.push('handled') }),
      openApi: { openapi: '3.1.0', info: { title: 'test', version: '1' }, paths: {} },
      routes: () => undefined,
      closers: [{ name: 'own client', stop: () => void recorded.push('own client closed') }],
      ...overrides,
    }),
    { stopStepTimeoutMs },
  );
  return { service, topic, lines };
}

describe('defineService', () => {
  it('brings a service up in order and answers /readyz only once all of it runs', async () => {
    const recorded: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { service, topic } = testService(recorded, {
      parts: async ({ sql, relay }) => {
        // Migrations applied, topics (and their dead-letter topics) there, relay running.
        expect(await sql.$queryRawUnsafe('SELECT count(*)::int AS n FROM widgets')).toEqual([{ n: 0 }]);
        recorded.push(`parts, relay ${relay ? 'running' : 'absent'}`);
        return {};
      },
      workers: () => [
        { name: 'first', start: () => void recorded.push('first started'), stop: () => undefined },
        { name: 'gated', start: () => released, stop: () => undefined },
      ],
    });
    const http = await startHttpServer(service.app, { port: 0, host: '127.0.0.1' });
    try {
      const starting = service.start();
      await waitFor(() => recorded.includes('first started'), { timeoutMs: 60_000, description: 'start reached the gated worker' });
      expect((await fetch(`${http.url}/readyz`)).status).toBe(503);
      expect(service.running()).toBeUndefined();
      release();
      await starting;
      expect((await fetch(`${http.url}/readyz`)).status).toBe(200);
      expect(recorded).toEqual(['parts, relay running', 'first started']);
      const producer = bus.createProducer();
      await publish(producer, topic, 1);
      await waitFor(() => recorded.includes('handled'), { description: 'the consumer runs' });
    } finally {
      release();
      await http.close();
      await service.stop();
    }
  });

  it('stops consumer, workers (last started first), relay, Kafka, its own clients, Prisma and the database, in that order', async () => {
    const recorded: string[] = [];
    const { service, lines } = testService(recorded);
    await service.start();
    await service.stop();
    expect(stoppedSteps(lines)).toEqual(['start', 'consumer', 'second', 'first', 'outbox relay', 'producer', 'Kafka client', 'own client', 'Prisma client', 'database']);
    expect(recorded).toEqual(['first started', 'second started', 'second stopped', 'first stopped', 'own client closed']);
    // Idempotent: a second stop neither runs the ladder again nor fails.
    await service.stop();
    expect(recorded.filter((entry) => entry.endsWith('stopped'))).toHaveLength(2);
  });

  it('logs a step that outlasts its timeout and goes on down the ladder', async () => {
    const recorded: string[] = [];
    const { service, lines } = testService(
      recorded,
      { workers: () => [{ name: 'stuck worker', stop: () => new Promise<void>(() => undefined) }] },
      200,
    );
    await service.start();
    await service.stop();
    expect(lines.find((line) => line.step === 'stuck worker' && line.level === 40)).toMatchObject({ timeoutMs: 200 });
    expect(stoppedSteps(lines).slice(-3)).toEqual(['own client', 'Prisma client', 'database']);
    expect(recorded).toEqual(['own client closed']);
  });

  it('stops what had started when a step of start fails, and rejects with its error', async () => {
    const recorded: string[] = [];
    let consumerBuilt = false;
    const { service, lines } = testService(recorded, {
      workers: () => [
        { name: 'first', start: () => void recorded.push('first started'), stop: () => void recorded.push('first stopped') },
        { name: 'broken', start: () => Promise.reject(new Error('no licence')), stop: () => void recorded.push('broken stopped') },
      ],
      consumer: () => {
        consumerBuilt = true;
        return { handler: async () => undefined };
      },
    });
    await expect(service.start()).rejects.toThrow('no licence');
    expect(recorded).toEqual(['first started', 'first stopped', 'own client closed']);
    expect(consumerBuilt).toBe(false);
    expect(stoppedSteps(lines)).toEqual(['start', 'consumer', 'first', 'outbox relay', 'producer', 'Kafka client', 'own client', 'Prisma client', 'database']);
    expect(service.running()).toBeUndefined();
  });
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
    const producer = bus.createProducer();
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
        reads: [topic],
        consumer: () => ({ formerGroupId, handler: handledBy(handled) }),
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
