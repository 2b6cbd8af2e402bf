import { randomBytes } from 'node:crypto';
import { LicenseCipher } from './license-cipher';
import { TicketSigner } from './ticket-signer';

describe('TicketSigner', () => {
  const signer = new TicketSigner('a-ticket-signing-key-of-32-characters!');
  const claims = { ticketId: 'tkt_1', orderId: 'ord.with.dots', capacityKey: 'concert-2026' };

  it('verifies its own payloads and returns their claims', () => {
    expect(signer.verify(signer.sign(claims))).toEqual(claims);
    expect(signer.verify(signer.sign({ ...claims, capacityKey: null }))).toEqual({ ...claims, capacityKey: null });
  });

  it('refuses altered, foreign and malformed payloads', () => {
    const payload = signer.sign(claims);
    const parts = payload.split('.');
    const altered = [parts[0], Buffer.from('tkt_2').toString('base64url'), ...parts.slice(2)].join('.');
    expect(signer.verify(altered)).toBeNull();
    expect(new TicketSigner('another-key-that-is-32-characters-long').verify(payload)).toBeNull();
    for (const bad of ['', 'OF1', `${payload}.extra`, payload.slice(0, -2)]) expect(signer.verify(bad)).toBeNull();
  });

  it('makes codes that do not repeat', () => {
    const codes = new Set(Array.from({ length: 1_000 }, () => TicketSigner.newCode()));
    expect(codes.size).toBe(1_000);
  });
});

describe('LicenseCipher', () => {
  const cipher = new LicenseCipher(randomBytes(32));

  it('decrypts what it encrypted, with a fresh IV each time', () => {
    const a = cipher.encrypt('ABCD-EFGH-IJKL-MNOP');
    expect(cipher.decrypt(a)).toBe('ABCD-EFGH-IJKL-MNOP');
    expect(cipher.encrypt('ABCD-EFGH-IJKL-MNOP')).not.toBe(a);
  });

  it('refuses a tampered ciphertext', () => {
    const [iv, tag, data] = cipher.encrypt('ABCD-EFGH').split('.');
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] ^= 1;
    expect(() => cipher.decrypt([iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
  });

  it('hashes a key the same way every time, differently under another secret', () => {
    expect(cipher.hash('KEY-1')).toBe(cipher.hash('KEY-1'));
    expect(new LicenseCipher(randomBytes(32)).hash('KEY-1')).not.toBe(cipher.hash('KEY-1'));
    expect(LicenseCipher.hint('ABCD-EFGH-IJKL-MNOP')).toBe('…MNOP');
  });
});
