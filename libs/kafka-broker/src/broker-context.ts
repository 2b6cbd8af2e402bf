import type { Faults } from './faults';
import type { GroupCoordinator } from './groups/group-coordinator';
import type { Logger } from './logger';
import type { BrokerMetrics } from './metrics';
import type { ProducerIds } from './storage/producer-ids';
import type { TopicManager } from './storage/topic-manager';

/** The broker's settings after defaults are applied. */
export interface BrokerSettings {
  /** Node ID advertised in Metadata and FindCoordinator; a single node is always 0. */
  readonly nodeId: number;
  readonly autoCreateTopics: boolean;
  readonly defaultPartitions: number;
  /** Largest request frame accepted; larger ones close the connection (Kafka's socket.request.max.bytes). */
  readonly maxRequestBytes: number;
  /** Largest record set accepted for one partition in a produce (Kafka's message.max.bytes). */
  readonly maxMessageBytes: number;
  /** Delay before the first rebalance of an empty group (Kafka's group.initial.rebalance.delay.ms). */
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
}

/** Everything an API handler may use. One per broker. */
export interface BrokerContext {
  readonly settings: BrokerSettings;
  readonly clusterId: string;
  /** Host and port clients are told to connect to (Metadata, FindCoordinator). */
  readonly advertised: { readonly host: string; readonly port: number };
  readonly topics: TopicManager;
  readonly groups: GroupCoordinator;
  readonly producerIds: ProducerIds;
  readonly faults: Faults;
  readonly metrics: BrokerMetrics;
  readonly logger: Logger;
}
