import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '@orderflow/config';
import { parse, parseAllDocuments } from 'yaml';
import type { z } from 'zod';

/**
 * Reading the deployment files (docker-compose.yml, deploy/...) and the services' config schemas
 * for the static deployment tests: nothing here runs a container, it only reads what would.
 */

export const REPO = path.resolve(__dirname, '..', '..', '..', '..');

export const repoPath = (...parts: string[]): string => path.join(REPO, ...parts);
export const readRepoFile = (...parts: string[]): string => fs.readFileSync(repoPath(...parts), 'utf8');

/** The deployables: every service but the one-machine mode, with its port and image command. */
export const DEPLOYABLES = [
  { name: 'ingress', port: 3000 },
  { name: 'order', port: 3001 },
  { name: 'fulfillment', port: 3002 },
  { name: 'notification', port: 3003 },
  { name: 'outbound-dispatch', port: 3004 },
  { name: 'console', port: 3005 },
] as const;

export type Deployable = (typeof DEPLOYABLES)[number]['name'];

/** Services with a process entry point (`src/main.ts`) under services/, one-machine excepted. */
export function servicesWithMain(): string[] {
  return fs
    .readdirSync(repoPath('services'))
    .filter((name) => name !== 'one-machine' && fs.existsSync(repoPath('services', name, 'src', 'main.ts')))
    .sort();
}

/** YAML with Compose's `<<` merge keys resolved. */
export function readYaml<T = unknown>(...parts: string[]): T {
  return parse(readRepoFile(...parts), { merge: true }) as T;
}

export function readYamlDocuments(...parts: string[]): unknown[] {
  return parseAllDocuments(readRepoFile(...parts)).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${parts.join('/')}: ${doc.errors[0].message}`);
    return doc.toJS();
  });
}

// ---- docker-compose.yml -------------------------------------------------------------------------

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export const readCompose = (): ComposeFile => readYaml<ComposeFile>('docker-compose.yml');

/** `${NAME}`, `${NAME:-default}`, `${NAME:?message}`: the variables a Compose value reads from .env. */
export function interpolatedNames(value: string): string[] {
  return [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]);
}

/**
 * A Compose value with its `${NAME}`, `${NAME:-default}`, `${NAME-default}` and `${NAME:?message}`
 * filled from `env` as Compose fills them from .env: `:-` also replaces an empty value, `:?`
 * refuses an unset or empty one with its message.
 */
export function interpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (_match, name: string, operator: string | undefined, argument: string) => {
    const set = env[name];
    switch (operator) {
      case ':-':
        return set ? set : argument;
      case '-':
        return set ?? argument;
      case ':?':
      case '?':
        if (set === undefined || (operator === ':?' && set === '')) throw new Error(`${name}: ${argument}`);
        return set;
      default:
        return set ?? '';
    }
  });
}

// ---- Kubernetes ---------------------------------------------------------------------------------

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Every object of a kustomization's own resource files (not of the bases it names). */
export function readKustomizeResources(dir: string): K8sObject[] {
  const kustomization = readYaml<{ resources?: string[] }>(dir, 'kustomization.yaml');
  return (kustomization.resources ?? [])
    .filter((resource) => resource.endsWith('.yaml') || resource.endsWith('.yml'))
    .flatMap((file) => readYamlDocuments(dir, file) as K8sObject[]);
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  env?: EnvVar[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean };
}

export interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
}

export function deploymentSpec(deployment: K8sObject): { template: { metadata: { annotations?: Record<string, string> }; spec: PodSpec } } {
  return (deployment as unknown as { spec: { template: { metadata: { annotations?: Record<string, string> }; spec: PodSpec } } }).spec;
}

/** The variables a container gets, and where from: a ConfigMap, a literal, or a Secret key. */
export function containerEnvironment(container: Container, objects: readonly K8sObject[]): Map<string, { from: 'configmap' | 'value' | 'secret'; optional: boolean; secretKey?: string }> {
  const env = new Map<string, { from: 'configmap' | 'value' | 'secret'; optional: boolean; secretKey?: string }>();
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (!name) throw new Error(`${container.name}: only configMapRef is expected in envFrom (secrets are mounted key by key)`);
    const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === name);
    if (!configMap) throw new Error(`${container.name}: ConfigMap ${name} is not in the base`);
    for (const key of Object.keys((configMap as unknown as { data?: Record<string, string> }).data ?? {})) env.set(key, { from: 'configmap', optional: false });
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    if (secret) env.set(variable.name, { from: 'secret', optional: secret.optional === true, secretKey: secret.key });
    else env.set(variable.name, { from: 'value', optional: false });
  }
  return env;
}

// ---- config schemas -----------------------------------------------------------------------------

export interface ServiceSchema {
  /** Every variable the schema knows. */
  keys: string[];
  /** Those without a default that must be set (loadConfig on an empty environment says which). */
  required: string[];
}

function isZodObject(value: unknown): value is z.ZodObject {
  return typeof value === 'object' && value !== null && 'shape' in value && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

/**
 * The service's config schema, from its own `src/config.ts`: the one exported zod object. Read
 * from the source, so adding a variable to a schema is enough to make these tests ask for it.
 * Undefined when the service has no config.ts (yet).
 */
export function serviceSchema(service: string): ServiceSchema | undefined {
  const file = repoPath('services', service, 'src', 'config.ts');
  if (!fs.existsSync(file)) return undefined;
  const moduleExports = require(file) as Record<string, unknown>;
  const schemas = Object.values(moduleExports).filter(isZodObject);
  if (schemas.length !== 1) throw new Error(`services/${service}/src/config.ts exports ${schemas.length} zod objects, expected its one config schema`);
  const schema = schemas[0];
  let required: string[] = [];
  try {
    loadConfig(schema, {});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    required = err.issues.filter((issue) => issue.reason === 'is required but not set').map((issue) => issue.variable);
  }
  return { keys: Object.keys(schema.shape).sort(), required: required.sort() };
}
