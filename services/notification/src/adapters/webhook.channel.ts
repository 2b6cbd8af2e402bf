import type { Channel, Outgoing, SendReceipt } from './channel';
import { redactUrl } from './redact-url';
import { retryAfterMs } from './retry-after';
import { PermanentSendError, RateLimitedError } from './send-errors';

/**
 * Discord and Slack incoming webhooks: POST the stored JSON. Answers map to the channel's error
 * kinds: 2xx sent; 429 rate-limited (Discord's fractional `retry_after`, or `Retry-After`);
 * 408 and 5xx transient; any other 4xx permanent for this message (a malformed embed, a deleted
 * webhook), which retrying would only repeat.
 *
 * The timeout aborts the request itself, not just the wait for it, so a hanging provider holds
 * no socket. Error messages never include the URL: it is the webhook's credential.
 */
export class WebhookChannel implements Channel {
  readonly target: string;
  /** One at a time: the rate limit is the webhook's, and a 429 must stop what would follow it. */
  readonly inFlight = 1;

  constructor(
    readonly name: 'discord' | 'slack',
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {
    this.target = redactUrl(url);
  }

  async send(notification: Outgoing): Promise<SendReceipt> {
    let res: Response;
    let body: string;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(notification.message),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      body = await res.text();
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') throw new Error(`${this.name} did not answer within ${this.timeoutMs} ms`);
      const code = (err as { cause?: { code?: unknown } }).cause?.code;
      throw new Error(`${this.name} unreachable${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (res.ok) return { pauseMs: this.bucketPause(res.headers) };
    if (res.status === 429) throw new RateLimitedError(this.name, retryAfterMs(body, res.headers.get('retry-after')));
    if (res.status >= 500 || res.status === 408) throw new Error(`${this.name} answered ${res.status}`);
    throw new PermanentSendError(`${this.name} answered ${res.status}: ${body.replace(/\s+/g, ' ').slice(0, 200)}`);
  }

  /** Discord says when a bucket is spent before refusing: waiting then avoids the 429 altogether. */
  private bucketPause(headers: Headers): number | undefined {
    if (headers.get('x-ratelimit-remaining') !== '0') return undefined;
    const resetAfter = Number(headers.get('x-ratelimit-reset-after'));
    return Number.isFinite(resetAfter) && resetAfter > 0 ? Math.ceil(resetAfter * 1_000) : undefined;
  }

  async close(): Promise<void> {}
}
