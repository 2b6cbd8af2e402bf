import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Logger } from '@orderflow/logging';
import { PROBLEM_CONTENT_TYPE } from './problem-handler';
import { ORIGIN_ROUTES, routeFor, type OriginRoute, type OriginService } from './origin-routes';

export interface OriginRouterOptions {
  /** Each service's base URL (`http://host:port`); a service not (yet) there is answered 503. */
  targets: () => Partial<Record<OriginService, string>>;
  logger: Logger;
  /**
   * Whether the hop in front of the router may name the client in X-Forwarded-For (a load
   * balancer). Default false: the router's peer is the client, and what it claims is replaced.
   */
  trustForwarded?: boolean;
  /** How long a service has to start answering (the headers) before a 504. Default 60 s. */
  timeoutMs?: number;
  routes?: readonly OriginRoute[];
}

/** Headers for one hop only (RFC 9110 §7.6.1): never passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function passedOn(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((h) => h.trim()));
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && !named.has(name)));
}

function problem(res: ServerResponse, status: number, title: string, detail: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

/**
 * The one origin: answers every public path by passing the request, as it came, to the service
 * the route table names (`ORIGIN_ROUTES`). Bodies stream both ways untouched (a webhook's
 * signature is over its exact bytes); connections to the services are kept alive; the client's
 * address goes on in X-Forwarded-For (with X-Forwarded-Proto and -Host) for services that trust
 * this hop (TRUST_PROXY). A path no route names is a 404 problem, a service that does not answer
 * a 503 (not listening) or 502 (failed mid-way), 504 past the timeout. Logged: method, path
 * without its query, service, status and time, never headers or bodies.
 */
export function originRouter(options: OriginRouterOptions): RequestListener & { close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64 });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const routes = options.routes ?? ORIGIN_ROUTES;

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const url = req.url ?? '/';
    const pathname = url.split('?')[0]!;
    const route = routeFor(pathname, routes);
    const done = (service: string, status: number) =>
      options.logger.debug({ method: req.method, path: pathname.slice(0, 200), service, status, durationMs: Number(process.hrtime.bigint() - started) / 1e6 }, 'routed');
    if (!route || !url.startsWith('/')) {
      req.resume();
      problem(res, 404, 'Not Found', `No route for ${pathname.slice(0, 200)}`);
      done('-', 404);
      return;
    }
    const base = options.targets()[route.service];
    if (!base) {
      req.resume();
      problem(res, 503, 'Service Unavailable', `The ${route.service} service is starting`, { 'retry-after': '1' });
      done(route.service, 503);
      return;
    }
    const target = new URL(base);
    const client = req.socket.remoteAddress ?? '';
    const forwardedFor = options.trustForwarded && req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${client}` : client;
    const headers: IncomingHttpHeaders = {
      ...passedOn(req.headers),
      'x-forwarded-for': forwardedFor,
      'x-forwarded-proto': options.trustForwarded && req.headers['x-forwarded-proto'] ? String(req.headers['x-forwarded-proto']) : 'http',
      'x-forwarded-host': options.trustForwarded && req.headers['x-forwarded-host'] ? String(req.headers['x-forwarded-host']) : (req.headers.host ?? ''),
    };
    const upstream = httpRequest({ agent, host: target.hostname.replace(/^\[|\]$/g, ''), port: target.port, method: req.method, path: url, headers, timeout: timeoutMs });
    upstream.on('response', (answer) => {
      upstream.setTimeout(0);
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, passedOn(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
      answer.on('end', () => done(route.service, answer.statusCode ?? 502));
    });
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (res.writableEnded) return;
      const [status, title, detail] =
        err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
          ? [503, 'Service Unavailable', `The ${route.service} service is not answering`]
          : err.code === 'ETIMEDOUT'
            ? [504, 'Gateway Timeout', `The ${route.service} service did not answer within ${timeoutMs} ms`]
            : [502, 'Bad Gateway', `The ${route.service} service's answer failed`];
      problem(res, status, title, detail, status === 503 ? { 'retry-after': '1' } : {});
      done(route.service, status);
    });
    // A client gone before its answer: the service's request goes too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };
  return Object.assign(listener, { close: () => agent.destroy() });
}
