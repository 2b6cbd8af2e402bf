// The brokers the broker benchmark compares, each started as its own process on a free port with
// its data on disk under the bench's temporary folder: the embedded broker's built CLI (a Node
// process, as in the one-machine mode) and one Apache Kafka KRaft node (a JVM, from the jars
// libs/apache-kafka resolves). The bench's clients then see nothing but a bootstrap address, and
// /proc/<pid> gives each broker's own CPU.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root, startBrokerProcess, stopProcesses } from './processes.mjs';

export const BROKER_KINDS = ['embedded', 'apache'];

/**
 * @param {'embedded' | 'apache'} kind
 * @param {{ dataDir: string, apacheHeap: string }} options
 * @returns {Promise<{ name: string, label: string, address: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startBenchBroker(kind, { dataDir, apacheHeap }) {
  const dir = join(dataDir, kind);
  mkdirSync(dir, { recursive: true });
  if (kind === 'embedded') {
    const { child, address } = await startBrokerProcess(dir);
    return { name: kind, label: `orderflow-kafka (Node ${process.version})`, address, pid: child.pid, stop: () => stopProcesses([child]) };
  }
  // libs/apache-kafka is CommonJS; its built dist/ is what `npm run build` leaves.
  const { startKafka, KAFKA_VERSION } = createRequire(import.meta.url)(join(root, 'libs/apache-kafka/dist/index.js'));
  const cluster = await startKafka({ nodes: 1, dataDir: dir, heap: apacheHeap });
  const [node] = cluster.nodes;
  return {
    name: kind,
    label: `Apache Kafka ${KAFKA_VERSION}, one KRaft node (JVM heap ${apacheHeap})`,
    address: cluster.brokers[0],
    pid: node.pid,
    stop: () => cluster.stop(),
  };
}

/** A broker that is already running (`--broker host:port`): measured from outside, its CPU unknown. */
export function externalBroker(address) {
  return { name: 'external', label: `the broker at ${address}`, address, pid: null, stop: async () => undefined };
}
