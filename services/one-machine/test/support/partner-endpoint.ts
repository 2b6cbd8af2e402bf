import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One verified delivery, as the partner received it. */
export interface PartnerDelivery {
  webhookId: string;
  type: string;
  orderKey: string | undefined;
  /** The raw body, byte for byte: redeliveries of one webhook-id must carry the same one. */
  body: string;
  data: Record<string, unknown>;
}

/**
 * A partner's webhook endpoint on loopback, as a careful partner writes it: every request is
 * verified with the `standardwebhooks` library against the subscription's secret (answered 401
 * and recorded when it fails), and — since delivery is at least once — deduplicated by
 * `webhook-id`. Every verified request is kept, so tests can count redeliveries too.
 */
export class PartnerEndpoint {
  /** Verified deliveries, in arrival order, redeliveries included. */
  readonly deliveries: PartnerDelivery[] = [];
  /** Requests whose signature did not verify. */
  readonly refused: Array<{ webhookId: string | undefined; error: string }> = [];
  /** The signing secret, given once the subscription is registered. */
  secret: string | undefined;

  private constructor(private readonly server: ReturnType<typeof createServer>) {}

  static async start(): Promise<PartnerEndpoint> {
    const server = createServer();
    const partner = new PartnerEndpoint(server);
    // A sender killed mid-request resets the connection: nothing arrived, so nothing is kept
    // (the delivery was never answered, and is sent again).
    server.on('request', (req, res) => void partner.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return partner;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/orderflow/webhooks`;
  }

  /** The first delivery of each webhook-id, in arrival order: what a deduplicating partner acts on. */
  firstDeliveries(): PartnerDelivery[] {
    const seen = new Set<string>();
    return this.deliveries.filter((d) => !seen.has(d.webhookId) && Boolean(seen.add(d.webhookId)));
  }

  /** What the partner acted on for one order, in the order it arrived. */
  of(orderKey: string): PartnerDelivery[] {
    return this.firstDeliveries().filter((d) => d.orderKey === orderKey);
  }

  /** Webhook-ids delivered more than once with different bodies: never acceptable. */
  conflictingRedeliveries(): string[] {
    const bodies = new Map<string, string>();
    const conflicts = new Set<string>();
    for (const d of this.deliveries) {
      const first = bodies.get(d.webhookId);
      if (first === undefined) bodies.set(d.webhookId, d.body);
      else if (first !== d.body) conflicts.add(d.webhookId);
    }
    return [...conflicts];
  }

  /** Verified deliveries beyond the first of their webhook-id. */
  redeliveries(): number {
    return this.deliveries.length - this.firstDeliveries().length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
    let verified: { type: string; data: Record<string, unknown> };
    try {
      if (!this.secret) throw new Error('no subscription secret yet');
      verified = new Webhook(this.secret).verify(body, headers) as typeof verified;
    } catch (err) {
      this.refused.push({ webhookId: headers['webhook-id'], error: err instanceof Error ? err.message : String(err) });
      res.writeHead(401).end();
      return;
    }
    const orderKey = typeof verified.data?.orderId === 'string' ? verified.data.orderId : undefined;
    this.deliveries.push({ webhookId: headers['webhook-id'], type: verified.type, orderKey, body, data: verified.data });
    res.writeHead(204).end();
  }
}
