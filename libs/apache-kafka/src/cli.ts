#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startKafka } from './cluster';
import { javaCommand, KAFKA_TOOLS, KAFKA_VERSION, kafkaClasspath, toolArguments, type KafkaTool } from './runtime';

const USAGE = `orderflow-apache-kafka: real Apache Kafka ${KAFKA_VERSION} on this machine (Java 17+ and Maven)

  orderflow-apache-kafka start [options]     run KRaft nodes in the foreground until Ctrl-C
      --nodes N          1 (default): one combined broker and controller
                         3: a replicated cluster (replication factor 3, min.insync.replicas 2)
      --port PORT        the first node's client port (the others take the next ones); default free ports
      --data-dir DIR     keep the nodes' data here across starts (default: a temporary folder)
      --heap SIZE        maximum JVM heap per node (default 512m)
  orderflow-apache-kafka fetch               resolve the jars with Maven (what CI runs first)
  orderflow-apache-kafka <tool> [args...]    one of Kafka's Java tools, e.g.
      kafka-topics --bootstrap-server 127.0.0.1:9092 --describe
      kafka-consumer-groups --bootstrap-server 127.0.0.1:9092 --describe --all-groups
  tools: ${Object.keys(KAFKA_TOOLS).join(', ')}

The version is pinned in libs/apache-kafka/pom.xml; see libs/apache-kafka/README.md.`;

function fail(message: string): never {
  process.stderr.write(`orderflow-apache-kafka: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function start(args: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { nodes: { type: 'string' }, port: { type: 'string' }, 'data-dir': { type: 'string' }, heap: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const nodes = Number(values.nodes ?? 1);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) fail(`--nodes must be an integer from 1 to 9, got ${JSON.stringify(values.nodes)}`);
  const first = values.port === undefined ? undefined : Number(values.port);
  if (first !== undefined && (!Number.isInteger(first) || first < 1 || first + nodes > 65_536)) fail(`--port must be a TCP port, got ${JSON.stringify(values.port)}`);
  if (values.heap !== undefined && !/^\d+[kmg]$/i.test(values.heap)) fail(`--heap must look like 512m or 1g, got ${JSON.stringify(values.heap)}`);

  process.stderr.write(`orderflow-apache-kafka: starting ${nodes} node${nodes === 1 ? '' : 's'} of Apache Kafka ${KAFKA_VERSION}\n`);
  const cluster = await startKafka({
    nodes,
    ports: first === undefined ? undefined : Array.from({ length: nodes }, (_, i) => first + i),
    dataDir: values['data-dir'],
    heap: values.heap,
  });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`orderflow-apache-kafka: ${signal}, stopping\n`);
    cluster.stop().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`orderflow-apache-kafka: stop failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  for (const node of cluster.nodes) process.stderr.write(`  node ${node.id}  ${node.address}  pid ${node.pid}  log ${node.logFile}\n`);
  // The readiness line scripts wait for: the bootstrap list, as KAFKA_BROKERS takes it.
  process.stdout.write(`KAFKA_BROKERS=${cluster.brokers.join(',')}\n`);
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === 'start') return start(args);
  if (command === 'fetch') {
    const cp = await kafkaClasspath();
    process.stdout.write(`Apache Kafka ${KAFKA_VERSION}: ${cp.split(':').length} jars resolved\n`);
    return;
  }
  if (command in KAFKA_TOOLS) {
    // Inherits the terminal: a console consumer prints as it reads, a producer reads what is typed.
    const child = spawn(javaCommand(), await toolArguments(command as KafkaTool, args), { stdio: 'inherit' });
    process.exitCode = await new Promise<number>((resolve, reject) => child.once('error', reject).once('exit', (code) => resolve(code ?? 1)));
    return;
  }
  fail(`unknown command ${JSON.stringify(command)}`);
}

main().catch((err: Error) => {
  process.stderr.write(`orderflow-apache-kafka: ${err.message}\n`);
  process.exit(1);
});
