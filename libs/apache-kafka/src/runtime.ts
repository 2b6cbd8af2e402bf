import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** This package's folder (the same from `src/` under ts-jest and from `dist/` when built). */
const PACKAGE_DIR = path.resolve(__dirname, '..');
const POM = path.join(PACKAGE_DIR, 'pom.xml');

/** The Apache Kafka version pinned in `pom.xml`: what CI tests and what deploy/ runs. */
export const KAFKA_VERSION = readPinnedVersion();

function readPinnedVersion(): string {
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(POM, 'utf8'))?.[1];
  if (!version) throw new Error(`${POM} does not pin <kafka.version>`);
  return version;
}

/**
 * Where the classpath and the formatted node templates of each version live: `.cache/apache-kafka`
 * at the workspace root (ignored by git), or `ORDERFLOW_KAFKA_CACHE`. The jars themselves stay in
 * Maven's own repository (~/.m2), so a clean clone on a machine that fetched them once starts
 * without the network.
 */
export function cacheDir(): string {
  return process.env.ORDERFLOW_KAFKA_CACHE ?? path.resolve(PACKAGE_DIR, '../../.cache/apache-kafka', KAFKA_VERSION);
}

let classpath: Promise<string> | undefined;

/**
 * The JVM classpath of the pinned Kafka broker and tools. The first call on a machine asks Maven
 * to resolve `pom.xml` (downloading what ~/.m2 lacks, ~55 MB once); the answer is cached on disk.
 */
export function kafkaClasspath(): Promise<string> {
  classpath ??= resolveClasspath().catch((err: unknown) => {
    classpath = undefined;
    throw err;
  });
  return classpath;
}

async function resolveClasspath(): Promise<string> {
  const file = path.join(cacheDir(), 'classpath.txt');
  const cached = readIfPresent(file);
  if (cached && cached.split(path.delimiter).every((jar) => fs.existsSync(jar))) return cached;
  fs.mkdirSync(cacheDir(), { recursive: true });
  // Written aside and renamed, so test processes resolving at the same time never read half a file.
  const partial = `${file}.${process.pid}.tmp`;
  try {
    await run('mvn', ['-q', '-B', '-Dstyle.color=never', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${partial}`], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') throw new Error('Apache Kafka is fetched with Maven, and `mvn` is not on PATH: install Maven (apt-get install maven) and Java 17+');
    throw new Error(`Maven could not resolve Apache Kafka ${KAFKA_VERSION} (${POM}): ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`);
  }
  fs.renameSync(partial, file);
  return fs.readFileSync(file, 'utf8').trim();
}

function readIfPresent(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** `java` from JAVA_HOME when set, else from PATH. */
export function javaCommand(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** The Java command-line tools by the names of Kafka's `bin/*.sh` scripts. */
export const KAFKA_TOOLS = {
  'kafka-topics': 'org.apache.kafka.tools.TopicCommand',
  'kafka-console-producer': 'org.apache.kafka.tools.ConsoleProducer',
  'kafka-console-consumer': 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  'kafka-consumer-groups': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  'kafka-broker-api-versions': 'org.apache.kafka.tools.BrokerApiVersionsCommand',
  'kafka-get-offsets': 'org.apache.kafka.tools.GetOffsetShell',
  'kafka-producer-perf-test': 'org.apache.kafka.tools.ProducerPerformance',
  'kafka-consumer-perf-test': 'org.apache.kafka.tools.ConsumerPerformance',
  'kafka-storage': 'kafka.tools.StorageTool',
} as const;

export type KafkaTool = keyof typeof KAFKA_TOOLS;

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of Kafka's Java tools to completion, `input` on its stdin. A tool's own failure is a
 * result (`code`), not an exception: conformance tests compare what the tools print either way.
 */
export async function runKafkaTool(tool: KafkaTool, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  const child = spawn(javaCommand(), await toolArguments(tool, args), { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => resolve(status ?? (signal ? 128 : 1)));
  }).finally(() => clearTimeout(timer));
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** The `java` arguments that run `tool` with `args` (for a caller that spawns it itself). */
export async function toolArguments(tool: KafkaTool, args: string[]): Promise<string[]> {
  return [...TOOL_JVM_OPTIONS, '-cp', await kafkaClasspath(), KAFKA_TOOLS[tool], ...args];
}

/**
 * A tool is a short-lived JVM: C1 only and a small serial heap start it in about a second on two
 * cores instead of two, and nothing it does runs long enough to want C2.
 */
const TOOL_JVM_OPTIONS = ['-Xms32m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];
