/** A message to produce. Keys decide the partition: same key, same partition, same order. */
export interface OutgoingMessage {
  key: string | Buffer | null;
  /** null is a tombstone. */
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
}

/** Where a produced message now durably lives. Offsets are strings: Kafka offsets are int64. */
export interface ProducedRecord {
  topic: string;
  partition: number;
  offset: string;
}
