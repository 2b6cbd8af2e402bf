import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Schemas for the value types services read from the environment. Every one takes the raw
 * string and writes its own message, which never echoes the input: a mistyped variable may
 * well hold a secret.
 */

/** Schemas built by `secret()`: `loadConfig` refuses a default on any of them. */
export const secretSchemas = new WeakSet<z.ZodType>();

function fail(ctx: { issues: unknown[] }, message: string): never {
  (ctx.issues as Array<{ code: 'custom'; message: string }>).push({ code: 'custom', message });
  return z.NEVER;
}

/** A TCP port, 0–65535 (0 lets the OS choose, which tests use). */
export function port() {
  return z.string().transform((raw, ctx) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value > 65_535) return fail(ctx, 'must be an integer from 0 to 65535');
    return value;
  });
}

/** An absolute URL, optionally restricted to some protocols (without the colon: 'https', 'redis'). */
export function url(options: { protocols?: readonly string[] } = {}) {
  return z.string().transform((raw, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return fail(ctx, 'must be an absolute URL');
    }
    const protocol = parsed.protocol.replace(/:$/, '');
    if (options.protocols && !options.protocols.includes(protocol)) {
      return fail(ctx, `must be a URL with protocol ${options.protocols.join(' or ')}`);
    }
    return raw;
  });
}

/** A comma-separated list; items are trimmed and empty items dropped. */
export function list() {
  return z.string().transform((raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );
}

/** Exactly 'true' or 'false': '1', 'yes' or 'TRUE' are rejected rather than guessed at. */
export function bool() {
  return z.string().transform((raw, ctx) => {
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    return fail(ctx, "must be 'true' or 'false'");
  });
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A duration in milliseconds: '1500' (ms) or with a unit: '1500ms', '30s', '5m', '1h'. */
export function durationMs() {
  return z.string().transform((raw, ctx) => {
    const match = /^(\d+)(ms|s|m|h)?$/.exec(raw.trim());
    if (!match) return fail(ctx, "must be a whole number of milliseconds or have a unit ('30s', '5m')");
    return Number(match[1]) * UNIT_MS[match[2] ?? 'ms'];
  });
}

/**
 * A PEM block (key or certificate). Env files and secret stores often carry PEMs on one line
 * with literal `\n`, so those are turned back into newlines before the armour is checked.
 */
export function pem() {
  return z.string().transform((raw, ctx) => {
    const text = raw.replace(/\\n/g, '\n').trim();
    if (!/^-----BEGIN [A-Z0-9 ]+-----\n[\s\S]+\n-----END [A-Z0-9 ]+-----$/.test(text)) {
      return fail(ctx, 'must be a PEM block (-----BEGIN ...----- ... -----END ...-----)');
    }
    return text;
  });
}

/** Express's `trust proxy`: which hops may set X-Forwarded-For, so `req.ip` is the real client. */
export type TrustProxy = boolean | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrSubnet(item: string): boolean {
  const [address, bits, ...rest] = item.split('/');
  if (rest.length > 0 || isIP(address) === 0) return false;
  if (bits === undefined) return true;
  const max = isIP(address) === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max;
}

/**
 * Which proxies in front of a service are trusted to name the client: 'false' (none: the peer
 * is the client), a hop count ('1' behind one load balancer), or a comma-separated list of
 * addresses, subnets and express's names (loopback, linklocal, uniquelocal). 'true' trusts
 * any peer, so a client could pick its own address: refused.
 */
export function trustProxy() {
  return z.string().transform((raw, ctx): TrustProxy => {
    const text = raw.trim();
    if (text === 'false') return false;
    if (/^\d+$/.test(text)) return Number(text);
    const items = text.split(',').map((item) => item.trim());
    if (items.length > 0 && items.every((item) => PROXY_NAMES.has(item) || isAddressOrSubnet(item))) return items;
    return fail(ctx, "must be 'false', a number of proxy hops, or addresses/subnets (10.0.0.0/8, loopback, ...)");
  });
}

/** A secret: required, non-empty, and `loadConfig` rejects a schema that gives it a default. */
export function secret() {
  const schema = z.string().min(1, { message: 'must not be empty' });
  secretSchemas.add(schema);
  return schema;
}

/** A whole number of at least 1. */
export function positiveInt() {
  return z.string().regex(/^[1-9]\d*$/, { message: 'must be a positive integer' }).transform(Number);
}

/** How a service writes its log: `json` (one object per line) or `pretty` (readable lines); optional. */
export function logFormat() {
  return z.enum(['json', 'pretty']).optional();
}

/** `host:port` pairs, comma-separated: Kafka bootstrap brokers. */
export function brokers() {
  return list().pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, { message: 'must be host:port' })).min(1));
}

/**
 * The variables every Orderflow service reads the same way; a service spreads them into its own
 * schema: `z.object({ ...serviceFields({ port: 3001 }), ...its own })`.
 */
export function serviceFields(defaults: { port: number }) {
  return {
    PORT: port().default(defaults.port),
    HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `json` or `pretty`; unset, readable lines on a terminal and JSON lines otherwise. */
    LOG_FORMAT: logFormat(),
    /** Defaults to the embedded broker of the one-machine mode. */
    KAFKA_BROKERS: brokers().default(['127.0.0.1:9092']),
    /** Partitions of each topic a service creates at start; a topic that exists keeps its own. */
    KAFKA_TOPIC_PARTITIONS: positiveInt().default(3),
    /** Replicas of each topic a service creates; unset, the cluster's `default.replication.factor`. */
    KAFKA_REPLICATION_FACTOR: positiveInt().optional(),
    /** `min.insync.replicas` of each topic a service creates; unset, the cluster's default. */
    KAFKA_MIN_INSYNC_REPLICAS: positiveInt().optional(),
    /** Where PGlite databases and other local state live when no external store is configured. */
    DATA_DIR: z.string().default('./data'),
    /** The proxies in front of the service that may name the client; default none. */
    TRUST_PROXY: trustProxy().default(false),
    ...metricsFields(),
  };
}

/**
 * Who may read `/metrics`: Prometheus with `Authorization: Bearer $METRICS_TOKEN`, or, only when
 * the operator says so with `METRICS_PUBLIC=true`, anyone who reaches the port. Neither set is
 * a configuration error (`requireMetricsAccess`): the metrics name subscriptions and instances,
 * so they are not served openly by default. An empty `METRICS_TOKEN=` counts as unset (see
 * `loadConfig`), which is why opening them takes a variable of its own.
 */
export function metricsFields() {
  return {
    METRICS_TOKEN: secret().pipe(z.string().min(16, { message: 'must be at least 16 characters' })).optional(),
    METRICS_PUBLIC: bool().default(false),
  };
}

/** A schema's `.superRefine(requireMetricsAccess)`: exactly one of METRICS_TOKEN and METRICS_PUBLIC=true. */
export function requireMetricsAccess(config: { METRICS_TOKEN?: string; METRICS_PUBLIC: boolean }, ctx: { addIssue(issue: { code: 'custom'; path: string[]; message: string }): void }): void {
  if (!config.METRICS_TOKEN && !config.METRICS_PUBLIC) {
    ctx.addIssue({ code: 'custom', path: ['METRICS_TOKEN'], message: 'is required (the bearer token Prometheus scrapes /metrics with), unless METRICS_PUBLIC=true serves /metrics without credentials' });
  }
  if (config.METRICS_TOKEN && config.METRICS_PUBLIC) {
    ctx.addIssue({ code: 'custom', path: ['METRICS_PUBLIC'], message: 'must not be true when METRICS_TOKEN is set: choose one' });
  }
}

/**
 * Per-instance API keys as `instanceId:key` pairs, comma-separated; keys of at least 24
 * characters. Services store them hashed at start-up.
 */
export function instanceKeys() {
  return list().pipe(
    z.array(
      z
        .string()
        .regex(/^[^:\s]+:[^:\s]{24,}$/, { message: 'must be instanceId:key pairs, keys at least 24 characters' })
        .transform((pair) => {
          const [instanceId, key] = pair.split(':');
          return { instanceId, key };
        }),
    ),
  );
}

/**
 * The bus options a service's Kafka settings give (`createBus({ ...kafkaOptions(config), clientId })`):
 * where the brokers are, and how the topics it creates are shaped.
 */
export function kafkaOptions(config: {
  KAFKA_BROKERS: readonly string[];
  KAFKA_TOPIC_PARTITIONS: number;
  KAFKA_REPLICATION_FACTOR?: number;
  KAFKA_MIN_INSYNC_REPLICAS?: number;
}): { brokers: string[]; topics: { partitions: number; replicationFactor?: number; minInsyncReplicas?: number } } {
  return {
    brokers: [...config.KAFKA_BROKERS],
    topics: { partitions: config.KAFKA_TOPIC_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR, minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS },
  };
}
