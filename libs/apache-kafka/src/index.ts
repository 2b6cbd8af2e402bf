export { startKafka, type KafkaCluster, type KafkaClusterOptions, type KafkaNode } from './cluster';
export { freePorts } from './ports';
export { serverProperties, type ServerConfig } from './node-config';
export { KAFKA_TOOLS, KAFKA_VERSION, kafkaClasspath, runKafkaTool, type KafkaTool, type ToolResult } from './runtime';
