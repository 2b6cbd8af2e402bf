/**
 * Kafka's value for an authorizedOperations field the client did not ask for (Integer.MIN_VALUE);
 * Metadata, DescribeGroups and DescribeTopicPartitions all answer with it then.
 */
export const OPERATIONS_NOT_REQUESTED = -2147483648;
