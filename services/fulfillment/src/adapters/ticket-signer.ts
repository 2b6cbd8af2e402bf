import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'OF1';

export interface TicketClaims {
  ticketId: string;
  orderId: string;
  /** The event or session the ticket admits to. */
  capacityKey: string | null;
}

/**
 * Ticket codes and QR payloads. The code (128 random bits) is what a person reads out; the QR
 * payload carries the claims and an HMAC-SHA256 over them, so a door scanner holding the key
 * verifies a ticket offline, without asking us. Voids are online knowledge: the verification
 * endpoint checks the ticket's status after the signature.
 *
 * Payload: `OF1.<ticketId>.<orderId>.<capacityKey>.<signature>`, each part base64url.
 */
export class TicketSigner {
  private readonly key: Buffer;

  constructor(key: string) {
    this.key = Buffer.from(key, 'utf8');
  }

  static newCode(): string {
    return randomBytes(16).toString('base64url');
  }

  sign(claims: TicketClaims): string {
    const body = [VERSION, claims.ticketId, claims.orderId, claims.capacityKey ?? ''].map(encode).join('.');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The claims of an authentic payload; null for anything forged, altered or malformed. */
  verify(payload: string): TicketClaims | null {
    const parts = payload.split('.');
    if (parts.length !== 5) return null;
    const body = parts.slice(0, 4).join('.');
    let given: Buffer;
    try {
      given = Buffer.from(parts[4], 'base64url');
    } catch {
      return null;
    }
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const [version, ticketId, orderId, capacityKey] = parts.slice(0, 4).map(decode);
    if (version !== VERSION || !ticketId || !orderId) return null;
    return { ticketId, orderId, capacityKey: capacityKey || null };
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}

function encode(part: string): string {
  return Buffer.from(part, 'utf8').toString('base64url');
}

function decode(part: string): string {
  return Buffer.from(part, 'base64url').toString('utf8');
}
