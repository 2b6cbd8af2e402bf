import { arrayOf, field, struct, type Field } from '../protocol/schema';

/**
 * Partition-level APIs (Produce, Fetch, ListOffsets, OffsetCommit, OffsetFetch) group their
 * partitions by topic, in the request and the response alike: a list of topics, each with its name
 * and its list of partitions.
 */
export type ByTopic<P> = Array<{ name: string; partitions: P[] }>;

export interface ByTopicOptions {
  /** What the message calls a topic's name: Kafka's Fetch says `topic` where the others say `name`. */
  readonly topicField?: string;
  /** The versions the list and its two levels exist in. */
  readonly versions?: string;
}

/** The schema of a list of topics whose partitions each carry `partitionFields`. */
export function byTopicField(name: string, partitionFields: readonly Field[], opts: ByTopicOptions = {}): Field {
  const since = opts.versions ?? '0+';
  const topic = struct(field(opts.topicField ?? 'name', 'string', since), field('partitions', arrayOf(struct(...partitionFields)), since));
  return field(name, arrayOf(topic), since);
}

type TopicOf<T> = Omit<T, 'partitions'>;

/**
 * The response's topics for a request's: the same topics and partitions in the same order, each
 * partition answered by `answer` (given the rest of its topic's entry, i.e. its name).
 */
export function answerEachPartition<T extends { readonly partitions: readonly unknown[] }, R>(
  topics: readonly T[],
  answer: (partition: T['partitions'][number], topic: TopicOf<T>) => R,
): Array<TopicOf<T> & { partitions: R[] }> {
  return topics.map(({ partitions, ...topic }) => ({ ...topic, partitions: partitions.map((p) => answer(p, topic)) }));
}
