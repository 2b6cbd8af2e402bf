import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * License keys at rest: AES-256-GCM, because a seller must be able to show a customer their key
 * again (a hash could not), and an HMAC of the key to find duplicates in a pool without
 * decrypting it. The key itself is never logged nor put on Kafka; consumers get a hint.
 */
export class LicenseCipher {
  private readonly hashKey: Buffer;

  constructor(private readonly key: Buffer) {
    // A separate key for hashing, derived so one secret configures both.
    this.hashKey = createHmac('sha256', key).update('orderflow license key hash').digest();
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join('.');
  }

  decrypt(stored: string): string {
    const [iv, tag, ciphertext] = stored.split('.').map((part) => Buffer.from(part, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  }

  hash(plain: string): string {
    return createHmac('sha256', this.hashKey).update(plain).digest('hex');
  }

  /** What a customer recognises a key by: its last four characters. */
  static hint(plain: string): string {
    return `…${plain.slice(-4)}`;
  }
}
