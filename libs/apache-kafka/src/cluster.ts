import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { log4jProperties, serverProperties, type NodeAddress, type ServerConfig } from './node-config';
import { freePorts } from './ports';
import { formattedTemplate } from './template';
import { javaCommand, kafkaClasspath, KAFKA_VERSION } from './runtime';

export interface KafkaClusterOptions {
  /** 1 (default): one combined broker and controller. 3: a replicated cluster with a 3-voter quorum. */
  nodes?: number;
  /**
   * Where the nodes keep their logs and data (`node-<id>/`). Default: a temporary folder removed
   * by `stop()`. A folder given here is kept, and a later start on it finds its topics again.
   */
  dataDir?: string;
  /** Interface every node listens on and advertises. Default 127.0.0.1. */
  host?: string;
  /** The nodes' client ports, one per node. Default: free ones. */
  ports?: number[];
  /** server.properties entries that replace or add to the defaults (see `serverProperties`). */
  config?: ServerConfig;
  /** Maximum JVM heap per node. Default 512m. */
  heap?: string;
  /** How long a node may take to serve metadata. Default 60 s. */
  startTimeoutMs?: number;
}

export interface KafkaNode {
  readonly id: number;
  /** `host:port` of its client listener. */
  readonly address: string;
  /** The JVM's process ID while it runs. */
  readonly pid: number | null;
  readonly running: boolean;
  /** The broker's own log (log4j2, INFO and up). */
  readonly logFile: string;
  /** Signals the JVM (SIGKILL by default: a crash) and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same data and ports; resolves once it serves metadata as a broker. */
  start(): Promise<void>;
  /** SIGSTOP: the process stays, its sockets stay open, and nothing answers (a hung broker). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
}

export interface KafkaCluster {
  readonly version: string;
  /** Bootstrap addresses, `host:port`, one per node. */
  readonly brokers: string[];
  readonly nodes: readonly KafkaNode[];
  readonly dataDir: string;
  /** The node with this ID. */
  node(id: number): KafkaNode;
  /** Stops every node (SIGTERM, then SIGKILL after `graceMs`, default 10 s) and removes a temporary data folder. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** JVM options as Kafka's own `kafka-server-start.sh` sets them, with the heap from the options. */
function jvmOptions(heap: string, log4jFile: string, logDir: string): string[] {
  return [
    '-Xms128m',
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile}`,
    `-Dkafka.logs.dir=${logDir}`,
  ];
}

/** Nodes whose JVMs this process started and that still run: killed if this process exits first. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

class Node implements KafkaNode {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly addressOf: NodeAddress,
    private readonly host: string,
    private readonly dir: string,
    private readonly heap: string,
    private readonly startTimeoutMs: number,
  ) {}

  get id(): number {
    return this.addressOf.id;
  }
  get address(): string {
    return `${this.host}:${this.addressOf.brokerPort}`;
  }
  get pid(): number | null {
    return this.child?.pid ?? null;
  }
  get running(): boolean {
    return this.child !== null;
  }
  get logFile(): string {
    return path.join(this.dir, 'server.log');
  }

  /** Launches the JVM and returns without waiting for it to serve (see `start`). */
  async launch(): Promise<void> {
    if (this.child) throw new Error(`Kafka node ${this.id} is already running (pid ${this.child.pid})`);
    const cp = await kafkaClasspath();
    const out = fs.openSync(path.join(this.dir, 'stdout.log'), 'a');
    const log4j = path.join(this.dir, 'log4j2.properties');
    const child = spawn(javaCommand(), [...jvmOptions(this.heap, log4j, this.dir), '-cp', cp, 'kafka.Kafka', path.join(this.dir, 'server.properties')], {
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    this.child = child;
    live.add(child);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        live.delete(child);
        if (this.child === child) this.child = null;
        resolve();
      });
      child.once('error', () => {
        live.delete(child);
        if (this.child === child) this.child = null;
        resolve();
      });
    });
    fs.writeFileSync(path.join(this.dir, 'pid'), `${child.pid}\n`);
  }

  /** Resolves once this node serves metadata that lists the brokers of `expected` (itself at least). */
  async ready(expected: number[] = [this.id]): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    let last = 'no answer yet';
    for (;;) {
      if (!this.child) throw new Error(`Kafka node ${this.id} exited while starting: ${this.lastLines()}`);
      try {
        const ids = await describeBrokers(this.address);
        if (expected.every((id) => ids.includes(id))) return;
        last = `it lists brokers [${ids.join(', ')}], waiting for [${expected.join(', ')}]`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() > deadline) {
        throw new Error(`Kafka node ${this.id} (${this.address}) did not serve metadata within ${this.startTimeoutMs} ms (${last}): ${this.lastLines()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async start(): Promise<void> {
    await this.launch();
    await this.ready();
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    // A paused JVM cannot act on SIGTERM until it runs again.
    child.kill('SIGCONT');
    child.kill(signal);
    await this.exited;
  }

  pause(): void {
    this.requireRunning().kill('SIGSTOP');
  }

  resume(): void {
    this.requireRunning().kill('SIGCONT');
  }

  /** The end of what the JVM and the broker wrote, to explain a failed start. */
  lastLines(): string {
    const tail = (file: string) => {
      try {
        return fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
      } catch {
        return '';
      }
    };
    return `\n--- ${path.join(this.dir, 'stdout.log')}\n${tail(path.join(this.dir, 'stdout.log'))}\n--- ${this.logFile}\n${tail(this.logFile)}`;
  }

  private requireRunning(): ChildProcess {
    if (!this.child) throw new Error(`Kafka node ${this.id} is not running`);
    return this.child;
  }
}

/** The broker IDs `address` reports in its cluster metadata. */
async function describeBrokers(address: string): Promise<number[]> {
  const admin = new Kafka({ clientId: 'orderflow-kafka-probe', brokers: [address], logLevel: logLevel.NOTHING, connectionTimeout: 1_000, requestTimeout: 2_000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    return brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Starts Apache Kafka (the version `pom.xml` pins) as KRaft nodes on loopback and resolves once
 * every node serves metadata listing all of them. The first start on a machine resolves the jars
 * with Maven and formats a node template; later starts copy the template (no JVM to format).
 */
export async function startKafka(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const count = options.nodes ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new Error(`nodes must be a positive integer, got ${count}`);
  if (options.ports && options.ports.length !== count) throw new Error(`give one port per node: ${count} nodes, ${options.ports.length} ports`);
  // Free ports are free when asked, not when the JVM binds: another process can take one in
  // between. A node that fails to bind exits at once, and the start is tried on new ports.
  const attempts = options.ports ? 1 : 3;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(count, options);
    } catch (err) {
      if (attempt >= attempts || !/Address already in use|BindException/.test(String(err))) throw err;
    }
  }
}

async function startOnce(count: number, options: KafkaClusterOptions): Promise<KafkaCluster> {
  const host = options.host ?? '127.0.0.1';
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-apache-kafka-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const ports = await freePorts(count * 2);
  const addresses: NodeAddress[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    brokerPort: options.ports?.[i] ?? ports[2 * i],
    controllerPort: ports[2 * i + 1],
  }));
  const template = await formattedTemplate(count);
  const nodes = addresses.map((address) => {
    const dir = path.join(dataDir, `node-${address.id}`);
    const logDir = path.join(dir, 'data');
    if (!fs.existsSync(path.join(logDir, 'meta.properties'))) {
      fs.mkdirSync(dir, { recursive: true });
      fs.cpSync(path.join(template, `node-${address.id}`), logDir, { recursive: true });
    }
    fs.writeFileSync(path.join(dir, 'server.properties'), serverProperties(address, { host, nodes: addresses, logDir }, options.config));
    fs.writeFileSync(path.join(dir, 'log4j2.properties'), log4jProperties(path.join(dir, 'server.log')));
    return new Node(address, host, dir, options.heap ?? '512m', options.startTimeoutMs ?? 60_000);
  });

  const stop = async ({ graceMs = 10_000 } = {}) => {
    await Promise.all(
      nodes.map(async (node) => {
        if (!node.running) return;
        if (graceMs <= 0) return node.kill('SIGKILL');
        const timer = setTimeout(() => void node.kill('SIGKILL'), graceMs);
        await node.kill('SIGTERM');
        clearTimeout(timer);
      }),
    );
    if (temporary) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await Promise.all(nodes.map((node) => node.launch()));
    const ids = addresses.map((a) => a.id);
    await Promise.all(nodes.map((node) => node.ready(ids)));
  } catch (err) {
    await stop({ graceMs: 0 });
    throw err;
  }
  return {
    version: KAFKA_VERSION,
    brokers: nodes.map((n) => n.address),
    nodes,
    dataDir,
    node(id) {
      const found = nodes.find((n) => n.id === id);
      if (!found) throw new Error(`no Kafka node ${id}: nodes are ${nodes.map((n) => n.id).join(', ')}`);
      return found;
    },
    stop,
  };
}
