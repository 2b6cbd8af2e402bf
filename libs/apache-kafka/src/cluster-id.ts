import { randomBytes } from 'node:crypto';

/** A random KRaft cluster ID: 16 bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
export function randomClusterId(): string {
  return randomBytes(16).toString('base64url');
}
