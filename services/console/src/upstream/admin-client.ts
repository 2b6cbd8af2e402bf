import { HttpProblem } from '@orderflow/http';
import type { Logger } from '@orderflow/logging';

export type ServiceName = 'ingress' | 'order' | 'fulfillment' | 'notification' | 'dispatch';

export const SERVICE_LABELS: Record<ServiceName, string> = {
  ingress: 'ingress',
  order: 'order service',
  fulfillment: 'fulfillment service',
  notification: 'notification service',
  dispatch: 'outbound-dispatch service',
};

export interface AdminClientOptions {
  urls: Record<ServiceName, string>;
  token: string;
  /** The bearer for the services' `/metrics` (METRICS_TOKEN); unset where they serve it openly. */
  metricsToken?: string;
  timeoutMs: number;
  logger: Logger;
}

export interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** An answer as received; routes parse what they restructure with their own schemas. */
export type Json = Record<string, unknown>;

/**
 * The console's way into each service: its admin API with the ADMIN_TOKEN bearer, which never
 * leaves this process. A service's client error (4xx problem) reaches the browser with its
 * status and detail, which services write for clients; anything else (5xx, a timeout, a refused
 * connection) becomes a 502/504 that names the service but not its address.
 */
export class AdminClient {
  constructor(private readonly options: AdminClientOptions) {}

  url(service: ServiceName): string {
    return this.options.urls[service].replace(/\/+$/, '');
  }

  /** Any request, answered as received (status and body), for callers that read non-2xx answers. */
  async raw(service: ServiceName, path: string, init: { method?: string; body?: unknown; admin?: boolean; metrics?: boolean } = {}): Promise<RawAnswer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.metrics) {
      if (this.options.metricsToken) headers.authorization = `Bearer ${this.options.metricsToken}`;
    } else if (init.admin !== false) headers.authorization = `Bearer ${this.options.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: globalThis.Response;
    try {
      res = await fetch(`${this.url(service)}${path}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      this.options.logger.warn({ service, path: path.split('?')[0], err: err instanceof Error ? err.message : String(err) }, 'admin API call failed');
      throw new HttpProblem(timedOut ? 504 : 502, { title: 'Service unavailable', detail: `The ${SERVICE_LABELS[service]} did not answer`, extensions: { service } });
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  /** A JSON answer from a 2xx; a problem otherwise, as described above. */
  async call(service: ServiceName, path: string, init: { method?: string; body?: unknown } = {}): Promise<Json> {
    const answer = await this.raw(service, path, init);
    const body = parseJson(answer.text);
    if (answer.status >= 200 && answer.status < 300) return body ?? {};
    if (answer.status >= 400 && answer.status < 500 && answer.status !== 401 && answer.status !== 403) {
      throw new HttpProblem(answer.status, {
        title: typeof body?.title === 'string' ? body.title : undefined,
        detail: typeof body?.detail === 'string' ? body.detail : `The ${SERVICE_LABELS[service]} refused the request`,
        extensions: { service },
      });
    }
    // A 401/403 means the console's own token is wrong for that service: its operator's
    // problem, not the signed-in user's, so it is a 502 and logged.
    this.options.logger.warn({ service, path: path.split('?')[0], status: answer.status }, 'admin API refused or failed');
    throw new HttpProblem(502, {
      title: 'Service error',
      detail: answer.status === 401 || answer.status === 403 ? `The ${SERVICE_LABELS[service]} refused the console's admin token` : `The ${SERVICE_LABELS[service]} failed (${answer.status})`,
      extensions: { service },
      ...(answer.status === 503 ? { headers: { 'retry-after': '5' } } : {}),
    });
  }

  get(service: ServiceName, path: string): Promise<Json> {
    return this.call(service, path);
  }

  post(service: ServiceName, path: string, body?: unknown): Promise<Json> {
    return this.call(service, path, { method: 'POST', body });
  }
}

function parseJson(text: string): Json | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Json) : null;
  } catch {
    return null;
  }
}

/** A query string from the defined, non-empty values of `params`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A path segment from user input, encoded so it cannot climb or add a query. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
