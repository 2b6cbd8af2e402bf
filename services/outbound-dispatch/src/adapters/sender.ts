import * as http from 'node:http';
import * as https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import type { SendResult } from '../domain/outcome';
import type { OutboundPolicy } from './url-safety';

const EXCERPT_CHARS = 1_000;

/** Most partner URLs whose request options are kept; past it they are worked out afresh. */
const DESTINATIONS_KEPT = 10_000;

/** A partner URL, checked and turned into request options once, not on every delivery. */
interface Destination {
  request: typeof http.request;
  options: http.RequestOptions;
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | null {
  if (!header) return null;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.round(Number(header) * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * POSTs signed webhooks over keep-alive connection pools, one per origin, whose sockets resolve
 * through the outbound policy (so every connection, not just the first, is checked). Redirects
 * are never followed, and an answer is cut off after its first kilobyte.
 */
export class Sender {
  private readonly agents = new Map<string, http.Agent>();
  private readonly destinations = new Map<string, Destination>();

  constructor(
    private readonly policy: OutboundPolicy,
    private readonly timeoutMs: number,
  ) {}

  send(rawUrl: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const { request, options } = this.destinationOf(rawUrl);
    const started = performance.now();
    return new Promise<SendResult>((resolve, reject) => {
      const req = request(
        {
          ...options,
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Orderflow-Webhooks/1', ...headers },
        },
        (res) => {
          let excerpt = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (excerpt.length < EXCERPT_CHARS) excerpt += chunk.slice(0, EXCERPT_CHARS - excerpt.length);
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            resolve({
              status,
              latencyMs: Math.round(performance.now() - started),
              excerpt,
              retryAfterMs: status === 429 || status === 503 ? retryAfterMs(res.headers['retry-after']) : null,
            });
          });
          res.on('error', reject);
        },
      );
      // A partner that accepts the connection and then says nothing is a failed attempt.
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    this.destinations.clear();
  }

  /**
   * The policy's checks that need no connection, and the request options, once per URL: parsing
   * and checking the URL on every delivery cost about 9 µs of a 70 µs send. The checks at connect
   * time (each new socket's DNS answer) are the agent's, so they still run for every connection.
   */
  private destinationOf(rawUrl: string): Destination {
    let destination = this.destinations.get(rawUrl);
    if (!destination) {
      const url = this.policy.check(rawUrl);
      destination = {
        request: url.protocol === 'https:' ? https.request : http.request,
        options: { ...urlToHttpOptions(url), method: 'POST', agent: this.agentFor(url), timeout: this.timeoutMs },
      };
      if (this.destinations.size >= DESTINATIONS_KEPT) this.destinations.clear();
      this.destinations.set(rawUrl, destination);
    }
    return destination;
  }

  private agentFor(url: URL): http.Agent {
    const key = url.origin;
    let agent = this.agents.get(key);
    if (!agent) {
      const options = { keepAlive: true, maxSockets: 16, lookup: this.policy.lookupFor(url) };
      agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      this.agents.set(key, agent);
    }
    return agent;
  }
}
