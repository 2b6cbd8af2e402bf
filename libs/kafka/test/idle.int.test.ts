import { startTestBroker, uniqueName, waitFor, type TestBroker } from '@orderflow/testing';
import { Registry } from 'prom-client';
import { createBus, type Bus } from '../src';
import { clientRequests } from './support';

// kafkajs's per-connection request queue: the bus patches it (src/request-queue.patch.ts).
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: { checkPendingRequests(...args: unknown[]): void } };

let broker: TestBroker;
let bus: Bus;
const registry = new Registry();

beforeAll(async () => {
  broker = await startTestBroker();
  bus = createBus({ brokers: broker.brokers, clientId: 'idle-test', registry });
});

afterAll(async () => {
  await bus?.close();
  await broker?.stop();
});

describe('an idle consumer', () => {
  it('wakes for its fetches and heartbeats only: no connection spins on a timer while nothing waits to be sent', async () => {
    const topic = uniqueName('idle');
    await bus.ensureTopics([{ topic }]);
    const runner = await bus.runConsumer({ groupId: uniqueName('idle'), topics: [topic], handler: async () => undefined });
    const proto = RequestQueue.prototype;
    const check = proto.checkPendingRequests;
    let checks = 0;
    proto.checkPendingRequests = function counted(this: unknown, ...args: unknown[]) {
      checks += 1;
      return check.apply(this, args);
    };
    try {
      const fetchesBefore = await clientRequests(registry, 'Fetch');
      const requestsBefore = await allRequests();
      // Three long-polls (500 ms each) on an empty topic: over a second of doing nothing.
      await waitFor(async () => (await clientRequests(registry, 'Fetch')) >= fetchesBefore + 3, { description: 'three idle fetches' });
      const requests = (await allRequests()) - requestsBefore;
      // A look at the queue comes with each response. Unpatched, every connection looked every
      // millisecond: over 1,000 looks a second for this consumer's connections.
      expect(checks).toBeLessThanOrEqual(requests + 10);
    } finally {
      proto.checkPendingRequests = check;
      await runner.stop();
    }
  });
});

async function allRequests(): Promise<number> {
  const metric = registry.getSingleMetric('orderflow_kafka_client_requests_total');
  const { values } = metric ? await metric.get() : { values: [] };
  return values.reduce((sum, v) => sum + v.value, 0);
}
