import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { randomClusterId } from './cluster-id';
import { serverProperties, type NodeAddress } from './node-config';
import { cacheDir, javaCommand, kafkaClasspath } from './runtime';

const run = promisify(execFile);

const templates = new Map<number, Promise<string>>();

/**
 * A folder with `node-<id>/` for each of `count` nodes, each a log directory formatted by Kafka's
 * own `kafka-storage format` for one cluster. Formatting starts a JVM per node (~2 s of CPU on
 * this machine); a cluster copies the template instead. The voters' ports are not part of the
 * format (the quorum is static, in server.properties), so one template serves any ports.
 */
export function formattedTemplate(count: number): Promise<string> {
  let template = templates.get(count);
  if (!template) {
    template = formatTemplate(count);
    templates.set(count, template);
    template.catch(() => templates.delete(count));
  }
  return template;
}

async function formatTemplate(count: number): Promise<string> {
  const target = path.join(cacheDir(), 'formatted', `${count}-node${count === 1 ? '' : 's'}`);
  if (fs.existsSync(path.join(target, `node-${count}`, 'meta.properties'))) return target;
  const cp = await kafkaClasspath();
  // Formatted aside, then renamed: concurrent test processes each format their own and the first
  // rename wins; the others use the winner's.
  const partial = `${target}.${process.pid}.tmp`;
  fs.rmSync(partial, { recursive: true, force: true });
  const clusterId = randomClusterId();
  const nodes: NodeAddress[] = Array.from({ length: count }, (_, i) => ({ id: i + 1, brokerPort: 9092 + 2 * i, controllerPort: 9093 + 2 * i }));
  await Promise.all(
    nodes.map(async (node) => {
      const logDir = path.join(partial, `node-${node.id}`);
      const properties = path.join(partial, `node-${node.id}.properties`);
      fs.mkdirSync(partial, { recursive: true });
      fs.writeFileSync(properties, serverProperties(node, { host: '127.0.0.1', nodes, logDir }));
      try {
        await run(javaCommand(), ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties]);
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        throw new Error(`kafka-storage format failed for node ${node.id}: ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`);
      }
      fs.rmSync(properties);
    }),
  );
  try {
    fs.renameSync(partial, target);
  } catch (err) {
    if (!fs.existsSync(path.join(target, `node-${count}`, 'meta.properties'))) throw err;
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return target;
}
