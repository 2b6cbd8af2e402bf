import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export { startSmtpCapture, type CapturedMail, type SmtpCapture } from '@orderflow/service-testing';

/** How the receiver answers: a status (429 with a `retry_after` in seconds), or never. */
export type Answer = { status: number; retryAfter?: number } | 'hang';

export interface ReceivedRequest {
  at: number;
  path: string;
  // The JSON a channel posted; tests read the parts they assert on.
  body: any;
  answer: Answer;
}

export interface WebhookReceiver {
  /** Base URL; any path is accepted (the token part of a webhook URL). */
  readonly url: string;
  readonly requests: readonly ReceivedRequest[];
  /** How every request is answered from now on (after any queued answers). */
  answer(answer: Answer): void;
  /** Answers for the next requests, in order, before falling back to the standing answer. */
  queue(...answers: Answer[]): void;
  /** Requests answered 2xx whose body matches. */
  delivered(match?: (body: any) => boolean): ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * Stands in for a Discord or Slack incoming webhook on loopback: records every request and
 * answers as told — 2xx, 429 with Discord's `retry_after` body and a `Retry-After` header,
 * 500, or not at all (the connection is held open until the test ends).
 */
export async function startWebhookReceiver(okStatus = 204): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const queued: Answer[] = [];
  let standing: Answer = { status: okStatus };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = queued.shift() ?? standing;
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ at: Date.now(), path: req.url ?? '', body: text ? JSON.parse(text) : null, answer });
      if (answer === 'hang') return;
      if (answer.status === 429) {
        const retryAfter = answer.retryAfter ?? 1;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(Math.ceil(retryAfter)) });
        res.end(JSON.stringify({ message: 'You are being rate limited.', retry_after: retryAfter, global: false }));
        return;
      }
      res.writeHead(answer.status, answer.status === 204 ? {} : { 'content-type': 'text/plain' });
      res.end(answer.status === 204 ? undefined : answer.status < 300 ? 'ok' : answer.status < 500 ? '{"message": "Invalid Form Body", "code": 50035}' : 'internal error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (answer) => void (standing = answer),
    queue: (...answers) => void queued.push(...answers),
    delivered: (match = () => true) => requests.filter((r) => r.answer !== 'hang' && r.answer.status < 300 && match(r.body)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
