import { startBroker, silentLogger, type RunningBroker } from '@orderflow/kafka-broker';

/**
 * An in-memory embedded broker on a free loopback port, quiet unless a test asks for logs. One per
 * test file (beforeAll), stopped in afterAll; tests isolate themselves with unique topic and group
 * names rather than a broker each, which keeps a file's start-up cost to one broker.
 */
export function startTestBroker(options: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
  return startBroker({ host: '127.0.0.1', port: 0, dataDir: null, logger: silentLogger, ...options });
}
