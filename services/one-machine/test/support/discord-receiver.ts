import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Embed {
  title: string;
  color: number;
  footer?: { text: string };
  fields: Array<{ name: string; value: string }>;
}

export interface DiscordReceiver {
  /** A Discord incoming-webhook URL on loopback (the path stands for the webhook's token). */
  readonly webhookUrl: string;
  /** Every embed posted, in arrival order. */
  readonly embeds: readonly Embed[];
  /** The embeds about one order (its ID closes the footer), in arrival order. */
  about(orderId: string): Embed[];
  close(): Promise<void>;
}

/** Stands in for Discord: accepts each webhook post with 204, as Discord does, and keeps its embeds. */
export async function startDiscordReceiver(): Promise<DiscordReceiver> {
  const embeds: Embed[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    // A sender killed mid-request resets the connection: nothing arrived, nothing is kept.
    req.on('error', () => undefined);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: { embeds?: Embed[] } | null = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { embeds?: Embed[] };
      } catch {
        body = null;
      }
      if (req.method !== 'POST' || !body || !Array.isArray(body.embeds)) {
        // What Discord answers a malformed message: the sender must treat it as permanent.
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"message": "Cannot send an empty message", "code": 50006}');
        return;
      }
      embeds.push(...body.embeds);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    webhookUrl: `http://127.0.0.1:${port}/api/webhooks/1234567890/e2e-webhook-token`,
    embeds,
    about: (orderId) => embeds.filter((e) => e.footer?.text.endsWith(orderId)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
