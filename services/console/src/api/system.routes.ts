import { HttpProblem } from '@orderflow/http';
import type { Registry } from '@orderflow/metrics';
import type { RequestHandler } from 'express';
import type { AdminClient, Json, ServiceName } from '../upstream/admin-client';
import { DOCUMENTED } from './openapi.routes';

const SERVICES: readonly ServiceName[] = ['ingress', 'order', 'fulfillment', 'notification', 'dispatch'];

/**
 * Each service's answer to `path`, by name, asked at once; a service that does not answer is
 * `{ status: 0 }`, so one down service never hides the others.
 */
async function askEvery(admin: AdminClient, path: string, init: { metrics?: boolean } = {}): Promise<Record<string, { status: number; text: string }>> {
  const answers = await Promise.all(
    SERVICES.map(async (name) => [name, await admin.raw(name, path, { admin: false, ...init }).catch(() => ({ status: 0, text: '' }))] as const),
  );
  return Object.fromEntries(answers);
}

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/**
 * The whole system's health, readiness and metrics: what the one origin answers at `/healthz`,
 * `/readyz` and `/metrics` (each service's own is at `/healthz/<service>`...). Health and
 * readiness are 200 when every service (and the console) says so, 503 naming the ones that do
 * not; metrics are every service's exposition merged (each sample carries its `service` label).
 */
export function systemHandlers(deps: { admin: AdminClient; registry: Registry }): { healthz: RequestHandler; readyz: RequestHandler; metrics: RequestHandler } {
  const overall = (path: string): RequestHandler => async (_req, res) => {
    const answers = await askEvery(deps.admin, path);
    const services: Json = { console: { status: 'ok' } };
    for (const [name, answer] of Object.entries(answers)) services[name] = answer.status === 0 ? { status: 'unreachable' } : (parsed(answer.text) ?? { status: answer.status === 200 ? 'ok' : 'failing' });
    const failing = Object.entries(answers).filter(([, answer]) => answer.status !== 200).map(([name]) => name);
    res.status(failing.length ? 503 : 200).set('cache-control', 'no-store').json({ status: failing.length ? 'failing' : 'ok', ...(failing.length ? { failing } : {}), services });
  };
  return {
    healthz: overall('/healthz'),
    readyz: overall('/readyz'),
    metrics: async (_req, res) => {
      const answers = await askEvery(deps.admin, '/metrics', { metrics: true });
      const missing = Object.entries(answers).filter(([, answer]) => answer.status !== 200).map(([name]) => name);
      res
        .status(200)
        .set('content-type', deps.registry.contentType)
        .set('cache-control', 'no-store')
        .send(mergeExpositions([await deps.registry.metrics(), ...Object.values(answers).filter((a) => a.status === 200).map((a) => a.text)]) + (missing.length ? `# not scraped: ${missing.join(', ')}\n` : ''));
    },
  };
}

/**
 * Prometheus text expositions as one: a metric family's HELP and TYPE once, then its samples
 * from every exposition (they differ by their `service` label).
 */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, { head: string[]; samples: string[] }>();
  for (const text of texts) {
    let current: { head: string[]; samples: string[] } | undefined;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        const name = meta[2]!;
        const seen = families.get(name);
        current = seen ?? { head: [], samples: [] };
        if (!seen) families.set(name, current);
        if (!current.head.some((h) => h.startsWith(`# ${meta[1]} `))) current.head.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      if (!current) families.set('', (current = { head: [], samples: [] }));
      current.samples.push(line);
    }
  }
  return [...families.values()].map((family) => [...family.head, ...family.samples].join('\n')).join('\n') + '\n';
}

/**
 * One OpenAPI document for the one origin: every documented service's paths and webhooks (no
 * two services have a path in common there), tags and components, which the services share by
 * construction (`openApiDocument`); a component two services define differently is a 502.
 */
export function mergeOpenApi(documents: ReadonlyArray<{ service: string; document: Json }>): Json {
  const paths: Json = {};
  const webhooks: Json = {};
  const tags = new Map<string, unknown>();
  const components: Record<string, Json> = {};
  for (const { service, document } of documents) {
    for (const [path, item] of Object.entries((document.paths ?? {}) as Json)) {
      if (path in paths) throw new HttpProblem(502, { detail: `${path} is documented by two services (${service} and another)` });
      paths[path] = item;
    }
    Object.assign(webhooks, document.webhooks ?? {});
    for (const tag of (document.tags ?? []) as Array<{ name: string }>) if (!tags.has(tag.name)) tags.set(tag.name, tag);
    for (const [kind, entries] of Object.entries((document.components ?? {}) as Record<string, Json>)) {
      const into = (components[kind] ??= {});
      for (const [name, value] of Object.entries(entries)) {
        if (name in into && JSON.stringify(into[name]) !== JSON.stringify(value)) throw new HttpProblem(502, { detail: `components.${kind}.${name} differs between the services' documents (${service})` });
        into[name] = value;
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Orderflow',
      version: String(((documents[0]?.document.info ?? {}) as Json).version ?? '0.0.0'),
      description: `Every Orderflow HTTP API on the one origin: ${documents.map((d) => d.service).join(', ')}. Each service's own document is at /openapi/<service>.json.`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [...tags.values()],
    paths,
    ...(Object.keys(webhooks).length ? { webhooks } : {}),
    components,
  };
}

/** `/openapi.json` on the one origin: every documented service's document, merged. */
export function mergedOpenApiHandler(admin: AdminClient): RequestHandler {
  return async (_req, res) => {
    const documents = await Promise.all(
      DOCUMENTED.map(async (service) => {
        const answer = await admin.raw(service, '/openapi.json', { admin: false });
        const document = answer.status === 200 ? parsed(answer.text) : undefined;
        if (typeof document !== 'object' || document === null) throw new HttpProblem(502, { detail: `The ${service} service did not give its API document` });
        return { service, document: document as Json };
      }),
    );
    res.type('application/json').set('cache-control', 'no-cache').send(JSON.stringify(mergeOpenApi(documents)));
  };
}
