/** One KRaft node's place in a cluster: its ID and the two ports it listens on. */
export interface NodeAddress {
  id: number;
  brokerPort: number;
  controllerPort: number;
}

export type ServerConfig = Record<string, string | number | boolean>;

/**
 * `server.properties` of one combined node (broker and controller in one JVM, as docker-compose
 * runs Kafka): every node is a voter of a static quorum, so a 3-node cluster survives one node
 * down with both the metadata quorum and `min.insync.replicas=2` still met.
 *
 * The replication settings follow the cluster's size, capped at 3: on one node everything has
 * one replica; on three, topics the services create get 3 replicas with 2 in sync required, the
 * shape production runs (docs/OPERATIONS.md). `overrides` win over every default here.
 */
export function serverProperties(node: NodeAddress, cluster: { host: string; nodes: NodeAddress[]; logDir: string }, overrides: ServerConfig = {}): string {
  const replicas = Math.min(3, cluster.nodes.length);
  const inSync = replicas >= 3 ? 2 : 1;
  const config: ServerConfig = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    'controller.quorum.voters': cluster.nodes.map((n) => `${n.id}@${cluster.host}:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://${cluster.host}:${node.brokerPort},CONTROLLER://${cluster.host}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${cluster.host}:${node.brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': cluster.logDir,
    'num.partitions': 3,
    'default.replication.factor': replicas,
    'min.insync.replicas': inSync,
    'offsets.topic.replication.factor': replicas,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': inSync,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': inSync,
    // A group's first member waits this long for others before the first assignment (Kafka's
    // default is 3 s); tests and the one-machine start join one member at a time.
    'group.initial.rebalance.delay.ms': 0,
    ...overrides,
  };
  return `${Object.entries(config)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')}\n`;
}

/** log4j2 for one node: INFO and up to `server.log` in the node's folder, the request log off. */
export function log4jProperties(logFile: string): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = file',
    `appender.file.fileName = ${logFile}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = file',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    '',
  ].join('\n');
}
