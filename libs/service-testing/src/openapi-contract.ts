import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { documentedProblems, openApiPath, problemSchema, qualifiedPaths, routeFor, routesOf, sharedAdminOperations, type ApiOperation, type OriginService } from '@orderflow/http';
import { tempDir } from '@orderflow/testing';
import type { Express } from 'express';

/**
 * Runs the OpenAPI Initiative's JSON Schema for 3.1 documents over `document`, through an
 * established validator's own command line (@seriousme/openapi-schema-validator, ESM-only, so
 * run beside Jest rather than inside it). Resolves to its verdict and errors.
 */
export async function validateOpenApi(document: unknown): Promise<{ valid: boolean; output: string }> {
  const dir = tempDir('orderflow-openapi-');
  try {
    const file = path.join(dir.path, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [cli, file]);
      return { valid: /"valid":\s*true/.test(stdout), output: stdout };
    } catch (err) {
      const { stdout, stderr } = err as { stdout?: string; stderr?: string };
      return { valid: false, output: `${stdout ?? ''}${stderr ?? ''}` };
    }
  } finally {
    dir.remove();
  }
}

/**
 * The drift between a service's routes and its document: documented operations the app does
 * not route, and routes the one origin sends to `service` that the document leaves out — every
 * one but the service's own health, readiness, metrics and document. What the origin sends
 * elsewhere is an alias only the service's own port answers (the bare `/admin/api-keys` three
 * services have, fulfillment's `/admin/orders/:orderId/fulfillment`): documenting it would give
 * the merged document one path several ways.
 */
export function routeDrift(app: Express, operations: readonly ApiOperation[], service: OriginService): { undocumented: string[]; missing: string[] } {
  const { healthz, readyz, metrics, openapi } = qualifiedPaths(service);
  const own = (path: string) => routeFor(path)?.service === service && ![healthz, readyz, metrics, openapi].includes(path);
  const routed = routesOf(app);
  const documented = operations.map((op) => `${op.method} ${op.path}`);
  return {
    missing: documented.filter((route) => !routed.includes(route)),
    undocumented: routed.filter((route) => own(route.split(' ')[1]!) && !documented.includes(route)),
  };
}

/**
 * Checks an answer against the operation's document: its status must be one the operation
 * lists, and a JSON body must match that status's schema (a problem status's, the problem
 * document's). Returns the problems, empty when none.
 */
export function answerDrift(operation: ApiOperation, status: number, body: unknown): string[] {
  const where = `${operation.method.toUpperCase()} ${openApiPath(operation.path)} answered ${status}`;
  const response = operation.responses[status];
  const schema = response ? response.schema : documentedProblems(operation).includes(status) ? problemSchema : undefined;
  if (!response && !schema) return [`${where}, which it does not document`];
  if (!schema) return [];
  const parsed = schema.safeParse(body);
  return parsed.success ? [] : [`${where} with a body its schema refuses: ${JSON.stringify(parsed.error.issues.slice(0, 3))}`];
}

/**
 * Calls `operations` by operationId through `send` (the test's own request helper, with its
 * credentials), recording each answer's drift from the document in `drift`.
 */
export function documentedCalls<A extends { status: number; body?: unknown }>(
  operations: readonly ApiOperation[],
  send: (operation: ApiOperation, path: string, body?: unknown) => Promise<A>,
): { call: (operationId: string, path: string, body?: unknown) => Promise<A>; drift: string[] } {
  const drift: string[] = [];
  const call = async (operationId: string, path: string, body?: unknown) => {
    const operation = operations.find((op) => op.operationId === operationId);
    if (!operation) throw new Error(`No operation ${operationId} in the document`);
    const answer = await send(operation, path, body);
    drift.push(...answerDrift(operation, answer.status, answer.body));
    return answer;
  };
  return { call, drift };
}

/**
 * Walks the shared admin routes of `service` (API keys, set-aside outbox rows) at their documented
 * paths on `url` — create, list, read and revoke a key, list the set-aside rows, requeue and
 * discard one that is not there (404, a documented problem) — and returns the drift between the
 * answers and `sharedAdminOperations(service)`, empty when none.
 */
export async function sharedAdminDrift(url: string, adminToken: string, service: OriginService): Promise<string[]> {
  const { call, drift } = documentedCalls(sharedAdminOperations(service), async (operation, path, body) => {
    const res = await fetch(`${url}${path}`, {
      method: operation.method.toUpperCase(),
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  });
  const of = (name: string) => `${name}${service[0]!.toUpperCase()}${service.slice(1)}`;
  const base = `/admin/${service}`;
  const created = (await call(of('createApiKey'), `${base}/api-keys`, { instanceId: `contract-${service}` })).body;
  await call(of('listApiKeys'), `${base}/api-keys?instanceId=contract-${service}`);
  await call(of('revokeApiKey'), `${base}/api-keys/${created.id}/revoke`);
  const read = (await call(of('getApiKey'), `${base}/api-keys/${created.id}`)).body;
  if (read.audit?.length !== 2) drift.push(`${of('getApiKey')}: expected the created and revoked audit rows, got ${JSON.stringify(read.audit)}`);
  await call(of('listSetAsideOutbox'), `${base}/outbox/set-aside?limit=10`);
  await call(of('requeueSetAsideOutbox'), `${base}/outbox/set-aside/999999999/requeue`);
  await call(of('discardSetAsideOutbox'), `${base}/outbox/set-aside/999999999/discard`);
  return drift;
}
