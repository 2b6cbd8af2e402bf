import { randomBytes } from 'node:crypto';

/**
 * A random KRaft cluster ID: 16 bytes, base64url without padding (what `kafka-storage
 * random-uuid` prints). Never one that starts with `-`, as Kafka's own Uuid.randomUuid ensures:
 * `kafka-storage format -t -abc…` reads it as an option and fails (1 start in 64 did).
 */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
