import { wixEventTypes, wixOrderEventSchema } from '@orderflow/events';
import { isRecord, wixOrderKey } from './order-key';
import { occurredAt, PayloadError, SignatureError, type VerifiedEvent } from './verified-event';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
type VerifyKey = Awaited<ReturnType<Jose['importSPKI']>>;

const interesting = new Set<string>(wixEventTypes);
/** As for Stripe's timestamps: clocks may be this far apart. */
const CLOCK_TOLERANCE_S = 300;

/**
 * Verifies Wix webhooks: the body is a JWT signed RS256 with the app's key. Wix nests JSON in
 * strings three deep (JWT payload `data` → envelope with `data` and `identity` → the event with
 * the entity as `entityAsJson` etc.); each level is parsed here so downstream gets plain objects.
 */
export class WixVerifier {
  private constructor(
    private readonly jose: Jose,
    private readonly key: VerifyKey,
  ) {}

  static async create(publicKeyPem: string): Promise<WixVerifier> {
    // jose 6 is ESM-only; a dynamic import keeps this CommonJS service able to load it.
    const jose = await import('jose');
    return new WixVerifier(jose, await jose.importSPKI(publicKeyPem, 'RS256'));
  }

  async verify(token: string): Promise<VerifiedEvent> {
    let claims: Record<string, unknown>;
    try {
      // Pinning the algorithm: a token cannot pick `none` or HS256-with-the-public-key. The
      // claims Wix documents (`data`, `iat`, `exp`): data and iat must be there, exp is checked
      // when present, each with Stripe's 5 minutes of tolerance for clocks apart.
      ({ payload: claims } = await this.jose.jwtVerify(token.trim(), this.key, { algorithms: ['RS256'], requiredClaims: ['data', 'iat'], clockTolerance: CLOCK_TOLERANCE_S }));
    } catch (err) {
      throw new SignatureError(err instanceof Error ? `${err.name}: ${err.message}` : 'invalid JWT');
    }
    // A token issued ahead of our clock could be held back and replayed until it expires.
    if ((claims.iat as number) > Date.now() / 1000 + CLOCK_TOLERANCE_S) throw new SignatureError('the token is issued in the future');
    return wixEventOf(claims);
  }

  /**
   * The event in a token this service verified before (a quarantined event's stored body), read
   * again by today's rules. Its signature is not checked again: it was when the token arrived,
   * and a stored token may since have expired.
   */
  reread(token: string): VerifiedEvent {
    return wixEventOf(this.jose.decodeJwt(token.trim()));
  }
}

/**
 * The event in a verified token's claims. One that is authentic but not what the catalog expects
 * comes back with its `problem`, to be quarantined; one without a type or ID to log it by is a
 * PayloadError.
 */
function wixEventOf(claims: Record<string, unknown>): VerifiedEvent {
  const envelope = parseJson(claims.data, 'JWT data');
  const eventType = envelope.eventType;
  const instanceId = envelope.instanceId;
  if (typeof eventType !== 'string' || !eventType) throw new PayloadError('eventType missing');
  const data = parseJson(envelope.data, 'event data');
  const eventId = data.id;
  if (typeof eventId !== 'string' || !eventId) throw new PayloadError('event id missing');
  const base = {
    source: 'wix' as const,
    eventId,
    type: eventType,
    instanceId: typeof instanceId === 'string' && instanceId ? instanceId : null,
    occurredAt: occurredAt(typeof data.eventTime === 'string' ? Date.parse(data.eventTime) : Number.NaN),
  };
  const entityId = typeof data.entityId === 'string' ? data.entityId : null;
  if (!interesting.has(eventType)) return { ...base, publishable: false, orderKey: entityId, payload: data };
  const entity = findOrderEntity(data);
  const payload = { ...stripNested(data), entity };
  const checked = wixOrderEventSchema.safeParse(payload);
  if (!checked.success || !entity) {
    return { ...base, publishable: true, orderKey: entityId, payload: data, problem: { code: 'invalid_event', detail: `not a valid ${eventType} event` } };
  }
  return { ...base, publishable: true, orderKey: wixOrderKey(entity, checked.data.entityId), payload };
}

/**
 * The order, wherever this event type keeps it: `createdEvent.entityAsJson`,
 * `updatedEvent.currentEntityAsJson`, `actionEvent.bodyAsJson` (`{ order }`), or the same as
 * already-parsed objects (`entity`, `currentEntity`, `body`), which some SDK versions send.
 */
function findOrderEntity(data: Record<string, unknown>): Record<string, unknown> | null {
  const candidates: unknown[] = [];
  if (isRecord(data.createdEvent)) candidates.push(data.createdEvent.entityAsJson, data.createdEvent.entity);
  if (isRecord(data.updatedEvent)) candidates.push(data.updatedEvent.currentEntityAsJson, data.updatedEvent.currentEntity);
  if (isRecord(data.actionEvent)) candidates.push(data.actionEvent.bodyAsJson, data.actionEvent.body);
  for (const candidate of candidates) {
    const value = typeof candidate === 'string' ? tryParse(candidate) : candidate;
    if (!isRecord(value)) continue;
    const order = isRecord(value.order) ? value.order : value;
    if (typeof order.id === 'string' && order.id) return order;
  }
  return null;
}

/** Drops the JSON-string copies of the entity: the payload carries it once, as `entity`. */
function stripNested(data: Record<string, unknown>): Record<string, unknown> {
  const { createdEvent: _c, updatedEvent: _u, actionEvent: _a, ...rest } = data;
  return rest;
}

function parseJson(value: unknown, what: string): Record<string, unknown> {
  const parsed = typeof value === 'string' ? tryParse(value) : value;
  if (!isRecord(parsed)) throw new PayloadError(`${what} is not a JSON object`);
  return parsed;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
