import { qualifiedPaths, type OriginService } from './origin-routes';
import type { Express, RequestHandler } from 'express';
import { z } from 'zod';

/** How a caller proves who it is, as the OpenAPI document names it. */
export type ApiSecurity = 'apiKey' | 'adminToken' | 'stripeSignature' | 'wixJwt' | 'none';

export interface ApiResponse {
  description: string;
  /** The body's schema (JSON). Absent: no body (204) or not JSON. */
  schema?: z.ZodType;
  contentType?: string;
}

/**
 * One route as its OpenAPI operation. The request schemas are the very zod schemas the route
 * validates with, so the document cannot say other than what the code accepts; response schemas
 * are checked against real answers by each service's contract test.
 */
export interface ApiOperation {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Express syntax (`/external/webhooks/:id`); written `{id}` in the document. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  security: ApiSecurity;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; contentType?: string; example?: unknown };
  /** Success answers; every operation also answers problem+json for the 4xx and 5xx it lists. */
  responses: Record<number, ApiResponse>;
  /** The client errors it can answer, each a problem document. */
  problems?: number[];
}

/** An event we deliver to partners, as an OpenAPI 3.1 `webhooks` entry. */
export interface ApiWebhook {
  name: string;
  summary: string;
  description?: string;
  schema: z.ZodType;
  example?: unknown;
}

/** RFC 9457 problem details, as every service answers an error. */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
});

const PROBLEM_TEXT: Record<number, string> = {
  400: 'The request is malformed or fails validation (detail says which field and why)',
  401: 'Missing or wrong credentials',
  404: 'No such resource (or one of another instance: they are indistinguishable)',
  409: 'The resource is not in a state that allows this',
  413: 'The body is over the route’s limit',
  415: 'The body is not the media type the route takes',
  422: 'Understood but refused (for example an unsafe destination URL)',
  429: 'Too many requests; see Retry-After',
  502: 'A third party (Stripe) refused or failed the call; nothing was done',
  503: 'A dependency is down or the service is starting; retry after Retry-After',
};

const SECURITY_SCHEMES = {
  apiKey: { type: 'http', scheme: 'bearer', description: 'An instance API key (`API_KEYS`, or created with `POST /admin/api-keys`): everything is scoped to its instance.' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'The installation’s `ADMIN_TOKEN`.' },
  stripeSignature: { type: 'apiKey', in: 'header', name: 'Stripe-Signature', description: 'Stripe’s signature of the raw body with the endpoint’s signing secret (`STRIPE_WEBHOOK_SECRET`), within 5 minutes either way.' },
  wixJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The body itself is the JWT, RS256-signed by Wix and verified with `WIX_PUBLIC_KEY`; no header is read.' },
} as const;

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Json;
  return rest;
}

/** Path and query parameters from the zod objects the route parses them with. */
function parameters(where: 'path' | 'query', schema: z.ZodObject | undefined): Json[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as Json & { description?: string };
    return { name, in: where, required: where === 'path' || (object.required ?? []).includes(name), schema: rest, ...(description ? { description } : {}) };
  });
}

export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/**
 * The problem statuses an operation's document lists: its own, and those its security and body
 * imply, but not a status it answers with a body of its own (a health check's 503).
 */
export function documentedProblems(op: ApiOperation): number[] {
  return [...new Set([...(op.problems ?? []), ...(op.security === 'none' ? [] : [401]), ...(op.body ? [400, 413, 415] : []), 503])].filter((status) => !op.responses[status]).sort();
}

function operationObject(op: ApiOperation): Json {
  const responses: Json = {};
  for (const [status, response] of Object.entries(op.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema ? { content: { [response.contentType ?? 'application/json']: { schema: jsonSchema(response.schema, 'output') } } } : {}),
    };
  }
  for (const status of documentedProblems(op)) responses[String(status)] = { $ref: `#/components/responses/Problem${status}` };
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    security: op.security === 'none' ? [] : [{ [op.security]: [] }],
    parameters: [...parameters('path', op.params), ...parameters('query', op.query)],
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: { [op.body.contentType ?? 'application/json']: { schema: jsonSchema(op.body.schema, 'input'), ...(op.body.example !== undefined ? { example: op.body.example } : {}) } },
          },
        }
      : {}),
    responses,
  };
}

/** An OpenAPI 3.1 document of `operations` (and the webhooks partners receive). */
export function openApiDocument(options: { title: string; version: string; description: string; operations: readonly ApiOperation[]; webhooks?: readonly ApiWebhook[] }): Json {
  const paths: Record<string, Json> = {};
  for (const op of options.operations) {
    const path = openApiPath(op.path);
    paths[path] = { ...paths[path], [op.method]: operationObject(op) };
  }
  const used = new Set(options.operations.map((op) => op.security).filter((s) => s !== 'none'));
  const statuses = new Set(Object.keys(PROBLEM_TEXT).map(Number));
  const webhooks: Json = {};
  for (const hook of options.webhooks ?? []) {
    webhooks[hook.name] = {
      post: {
        operationId: `receive-${hook.name}`,
        summary: hook.summary,
        ...(hook.description ? { description: hook.description } : {}),
        requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(hook.schema, 'output'), ...(hook.example !== undefined ? { example: hook.example } : {}) } } },
        responses: { '2XX': { description: 'Received. Any other answer, or none within the timeout, is retried.' } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, description: options.description, license: { name: 'MIT', identifier: 'MIT' } },
    tags: [...new Set(options.operations.map((op) => op.tag))].map((name) => ({ name })),
    paths,
    ...(options.webhooks?.length ? { webhooks } : {}),
    components: {
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
      responses: Object.fromEntries(
        [...statuses].map((status) => [
          `Problem${status}`,
          { description: PROBLEM_TEXT[status], content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
        ]),
      ),
      securitySchemes: Object.fromEntries([...used].map((name) => [name, SECURITY_SCHEMES[name as keyof typeof SECURITY_SCHEMES]])),
    },
  };
}

/**
 * Serves `document` at `/openapi.json`, and at `/openapi/<service>.json` (its path on the one
 * origin), to anyone: it describes the API, it holds no data.
 */
export function serveOpenApi(app: Express, document: Json, service: OriginService): void {
  const body = JSON.stringify(document);
  const handler: RequestHandler = (_req, res) => {
    res.type('application/json').set('cache-control', 'no-cache').send(body);
  };
  app.get(['/openapi.json', qualifiedPaths(service).openapi], handler);
}

/** Every `method path` the express app routes, for a contract test to compare with its document. */
export function routesOf(app: Express): string[] {
  const found: string[] = [];
  const stack = (app as unknown as { router: { stack: Array<{ route?: { path: string | string[]; methods: Record<string, boolean> } }> } }).router.stack;
  for (const layer of stack) {
    if (!layer.route) continue;
    for (const path of [layer.route.path].flat()) for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') found.push(`${method} ${path}`);
  }
  return found;
}
