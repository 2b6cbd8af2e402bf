import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@orderflow/logging';
import { serveOnLoopback, type Served } from '@orderflow/service-testing';
import { buildConsole, loadConsoleConfig, type ConsoleService } from '../src';

export const ADMIN_TOKEN = 'console-admin-token-0123456789';
export const METRICS_TOKEN = 'console-metrics-token-0123456789';
export const LINK_SECRET = 'customer-link-secret-for-tests-0123456789';

export interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

export type Answer = { status: number; body?: unknown; text?: string };

/**
 * A service's admin API as the console sees it, on loopback: answers by "METHOD /path" (path
 * with its query), and remembers every request with its Authorization header. The console's own
 * tests use it to prove what the console sends and how it treats each answer; the browser tests
 * in services/one-machine run the console against the real services.
 */
export class Upstream {
  readonly seen: Seen[] = [];
  readonly answers = new Map<string, Answer | ((seen: Seen) => Answer)>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Upstream> {
    const server = createServer();
    const upstream = new Upstream(server);
    server.on('request', (req, res) => {
      void upstream.handle(req).then((answer) => {
        res.writeHead(answer.status, { 'content-type': answer.text !== undefined ? 'text/plain' : 'application/json' });
        res.end(answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  answer(route: string, answer: Answer | ((seen: Seen) => Answer)): void {
    this.answers.set(route, answer);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage): Promise<Answer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const seen = { method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') };
    this.seen.push(seen);
    const answer = this.answers.get(`${seen.method} ${seen.path}`);
    if (!answer) return { status: 404, body: { type: 'about:blank', title: 'Not Found', status: 404, detail: `No route for ${seen.method} ${seen.path}` } };
    return typeof answer === 'function' ? answer(seen) : answer;
  }
}

/** The console with every service URL pointing at `upstream`, on loopback. */
export async function startConsole(upstream: Upstream, env: Record<string, string> = {}): Promise<Served<ConsoleService>> {
  const config = loadConsoleConfig({
    ADMIN_TOKEN,
    METRICS_TOKEN,
    INGRESS_URL: upstream.url,
    ORDER_URL: upstream.url,
    FULFILLMENT_URL: upstream.url,
    NOTIFICATION_URL: upstream.url,
    DISPATCH_URL: upstream.url,
    CUSTOMER_LINK_SECRET: LINK_SECRET,
    LOG_LEVEL: 'silent',
    UPSTREAM_TIMEOUT: '1s',
    ...env,
  });
  return serveOnLoopback(buildConsole(config, { logger: createLogger({ name: 'console-test', level: config.LOG_LEVEL }) }));
}

/** A browser-like client: keeps the session cookie, sends the CSRF token and our Origin. */
export class Browser {
  cookie: string | undefined;
  csrf: string | undefined;
  constructor(readonly base: string) {}

  async signIn(token = ADMIN_TOKEN): Promise<Response> {
    const res = await this.fetch('/console/api/session', { method: 'POST', body: JSON.stringify({ token }), headers: { 'content-type': 'application/json' } });
    if (res.status === 201) {
      this.cookie = res.headers.get('set-cookie')!.split(';')[0];
      this.csrf = ((await res.clone().json()) as { csrfToken: string }).csrfToken;
    }
    return res;
  }

  fetch(path: string, init: Omit<RequestInit, 'headers'> & { headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { origin: this.base, ...init.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && init.method && init.method !== 'GET') headers['x-csrf-token'] ??= this.csrf;
    return fetch(`${this.base}${path}`, { ...init, headers, redirect: 'manual' });
  }
}
