import { ErrorCode } from '@orderflow/kafka-broker';
import type { TestBroker } from '@orderflow/testing';
import { overrideTopicConfig } from './topic-config';

/**
 * Until the returned function resolves, `broker` refuses produces to `topic` and writes none of
 * them. Embedded: `embeddedError` answers every produce (to any topic). Apache Kafka: the topic's
 * `max.message.bytes` is set below any record batch (its header alone is 61 bytes), so each
 * produce to it is answered MESSAGE_TOO_LARGE — under the producer's own limit, which callers
 * treat as a misconfigured topic to retry against, not a message to set aside.
 *
 * Not a hung broker (`stopAnswering`): a produce already sent to a hung broker is still read and
 * written once it runs again, even when its client is gone by then.
 */
export async function refuseProduces(broker: TestBroker, topic: string, embeddedError: number = ErrorCode.MESSAGE_TOO_LARGE): Promise<() => Promise<void>> {
  if (!broker.embedded) {
    return overrideTopicConfig(broker.brokers, topic, { 'max.message.bytes': '64' });
  }
  const { faults } = broker.embedded;
  faults.failNext('Produce', 1_000_000, embeddedError);
  return async () => faults.reset();
}
