import { startKafka, type KafkaCluster } from '@orderflow/apache-kafka';
import { startBroker, silentLogger, type BrokerOptions, type RunningBroker } from '@orderflow/kafka-broker';

/** Which Kafka the suites run on: the embedded broker (default) or Apache Kafka (`ORDERFLOW_TEST_KAFKA=apache`). */
export type TestKafkaKind = 'embedded' | 'apache';

/** The Kafka this test run uses, from `ORDERFLOW_TEST_KAFKA` (CI's second lane sets `apache`). */
export const TEST_KAFKA: TestKafkaKind = testKafkaKind(process.env.ORDERFLOW_TEST_KAFKA);

function testKafkaKind(value: string | undefined): TestKafkaKind {
  if (value === undefined || value === '' || value === 'embedded') return 'embedded';
  if (value === 'apache') return 'apache';
  throw new Error(`ORDERFLOW_TEST_KAFKA must be "embedded" or "apache", got ${JSON.stringify(value)}`);
}

/**
 * A Kafka for one test file: the embedded broker or a real Apache Kafka node, by `TEST_KAFKA`.
 * Both are real brokers over TCP; what tests do to them beyond producing and consuming goes
 * through the methods here, so a test reads the same on either.
 */
export interface TestBroker {
  readonly kind: TestKafkaKind;
  /** Bootstrap addresses, `host:port`. */
  readonly brokers: string[];
  /**
   * The embedded broker itself, for what only it offers (fault injection such as a refused or a
   * lost answer, its request counters); null on Apache Kafka.
   */
  readonly embedded: RunningBroker | null;
  /**
   * The broker stops answering, its connections open (a hung broker), until the returned function
   * is called. Embedded: it holds every request; Apache Kafka: its JVM is stopped (SIGSTOP).
   */
  stopAnswering(): () => void;
  /**
   * Every client connection is cut. Embedded: the broker closes them; Apache Kafka: the node is
   * killed (SIGKILL) and started again on its data, as a crashed broker comes back.
   */
  dropConnections(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A broker on a free loopback port for one test file (beforeAll; `stop()` in afterAll), quiet.
 * Tests isolate themselves with unique topic and group names, so a file starts one broker only.
 * `options` shape the embedded broker and are ignored on Apache Kafka.
 */
export async function startTestBroker(options: BrokerOptions = {}): Promise<TestBroker> {
  return TEST_KAFKA === 'apache' ? apacheTestBroker(await startKafka({ heap: '384m' })) : embeddedTestBroker(await startEmbeddedBroker(options));
}

/** Always the embedded broker, whatever `TEST_KAFKA` says: for tests of the embedded broker itself. */
export function startEmbeddedBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  return startBroker({ host: '127.0.0.1', port: 0, dataDir: null, logger: silentLogger, ...options });
}

function embeddedTestBroker(broker: RunningBroker): TestBroker {
  return {
    kind: 'embedded',
    brokers: broker.brokers,
    embedded: broker,
    stopAnswering: () => broker.faults.stopAnswering(10 * 60_000),
    dropConnections: async () => {
      broker.faults.closeAllConnections();
    },
    stop: () => broker.stop(),
  };
}

function apacheTestBroker(cluster: KafkaCluster): TestBroker {
  const [node] = cluster.nodes;
  return {
    kind: 'apache',
    brokers: cluster.brokers,
    embedded: null,
    stopAnswering: () => {
      node.pause();
      return () => node.resume();
    },
    dropConnections: async () => {
      await node.kill('SIGKILL');
      await node.start();
    },
    // A test's broker holds nothing worth a clean shutdown: killed, its folder removed.
    stop: () => cluster.stop({ graceMs: 0 }),
  };
}

/**
 * `describe` for tests that need what only the embedded broker offers; on Apache Kafka the block
 * is not declared, and `why` says what it would need there. Use it only where no real-Kafka
 * counterpart makes sense (a stopped or restarted broker usually does: `stopAnswering`,
 * `dropConnections`).
 */
export function describeOnEmbeddedBroker(why: string, name: string, body: () => void): void {
  if (TEST_KAFKA === 'embedded') describe(name, body);
  else if (!why) throw new Error('say why the block needs the embedded broker');
}
