import { ErrorCode } from '../protocol/error-codes';

/** A partition's leader and replicas, as Metadata and DescribeTopicPartitions report them. */
export interface PartitionLeadership {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

/**
 * One node leads every partition and is its only replica, always in sync; leadership never moves,
 * so the leader epoch stays 0.
 */
export function ledBy(nodeId: number, partitionIndex: number): PartitionLeadership {
  return {
    errorCode: ErrorCode.NONE,
    partitionIndex,
    leaderId: nodeId,
    leaderEpoch: 0,
    replicaNodes: [nodeId],
    isrNodes: [nodeId],
    offlineReplicas: [],
  };
}
