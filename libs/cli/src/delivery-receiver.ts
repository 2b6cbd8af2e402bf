import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';

/** Orderflow's deliveries are a few KB; anything past this is not one. */
const MAX_BODY_BYTES = 1024 * 1024;
/** How many webhook-ids are remembered to mark a delivery seen before (a retry, resend or replay). */
const REMEMBERED_IDS = 10_000;

export interface Delivery {
  at: Date;
  webhookId: string | null;
  type: string | null;
  orderId: string | null;
  verified: boolean;
  /** Why it did not verify. */
  reason: string | null;
  repeated: boolean;
  body: string;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The type and order of a delivery's body, for display only: nothing else reads it. */
function summary(body: string): { type: string | null; orderId: string | null } {
  try {
    const parsed = JSON.parse(body) as { type?: unknown; data?: { orderId?: unknown; order?: { orderId?: unknown } } };
    const orderId = parsed.data?.orderId ?? parsed.data?.order?.orderId;
    return { type: typeof parsed.type === 'string' ? parsed.type : null, orderId: typeof orderId === 'string' ? orderId : null };
  } catch {
    return { type: null, orderId: null };
  }
}

function problem(res: ServerResponse, status: number, title: string, detail: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers }).end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

/**
 * A partner endpoint as docs/WEBHOOKS.md tells partners to write one: each delivery is verified
 * with the `standardwebhooks` library (signature compared in constant time, timestamp within
 * 5 minutes) and answered 204 when it verifies, 401 when it does not.
 */
export class DeliveryReceiver {
  private webhook: Webhook | null;
  private readonly seen = new Set<string>();

  constructor(
    secret: string | null,
    private readonly report: (delivery: Delivery) => void,
  ) {
    this.webhook = secret ? new Webhook(secret) : null;
  }

  /** With `--subscribe` the secret is known only once the subscription exists. */
  useSecret(secret: string): void {
    this.webhook = new Webhook(secret);
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'POST') {
      problem(res, 405, 'Method Not Allowed', 'Deliveries are POSTed', { allow: 'POST' });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return problem(res, 413, 'Content Too Large', `A delivery is at most ${MAX_BODY_BYTES} bytes`);
      this.receive(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  };

  private receive(req: IncomingMessage, res: ServerResponse, body: string): void {
    const webhookId = header(req, 'webhook-id') ?? null;
    if (!this.webhook) return problem(res, 503, 'Service Unavailable', 'Not subscribed yet', { 'retry-after': '1' });
    let reason: string | null = null;
    try {
      this.webhook.verify(body, { 'webhook-id': webhookId ?? '', 'webhook-timestamp': header(req, 'webhook-timestamp') ?? '', 'webhook-signature': header(req, 'webhook-signature') ?? '' }, { jsonParse: false });
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    const verified = reason === null;
    const repeated = verified && webhookId !== null && this.remember(webhookId);
    this.report({ at: new Date(), webhookId, ...summary(body), verified, reason, repeated, body });
    if (verified) res.writeHead(204).end();
    else problem(res, 401, 'Unauthorized', `The signature did not verify: ${reason}`);
  }

  /** True when the ID was seen before. */
  private remember(id: string): boolean {
    if (this.seen.has(id)) return true;
    this.seen.add(id);
    if (this.seen.size > REMEMBERED_IDS) this.seen.delete(this.seen.values().next().value as string);
    return false;
  }
}

/** One readable line per delivery: when, verified or not, the type, the webhook-id, the order. */
export function deliveryLine(delivery: Delivery): string {
  const verdict = delivery.verified ? 'verified  ' : 'UNVERIFIED';
  const parts = [delivery.at.toISOString(), verdict, delivery.type ?? '(no type)', delivery.webhookId ?? '(no webhook-id)'];
  if (delivery.orderId) parts.push(`order ${delivery.orderId}`);
  if (delivery.repeated) parts.push('(seen before)');
  if (delivery.reason) parts.push(`(${delivery.reason})`);
  return parts.join('  ');
}

/** The body for `--verbose`: pretty JSON, or the text as received. */
export function deliveryBody(delivery: Delivery): string {
  try {
    return JSON.stringify(JSON.parse(delivery.body), null, 2);
  } catch {
    return delivery.body;
  }
}
