import { stdSerializers } from 'pino';

export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are credentials wherever they appear: HTTP auth and session headers,
 * webhook signatures (a leaked signature plus body is replayable for the tolerance window),
 * and any field named like a secret, token, password, API key or private key
 * (`webhookSecret`, `ADMIN_TOKEN`, `api_key`, `x-api-key`, `privateKey`...).
 */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|stripe-signature|x-wix-signature)$|(secret|token|passw(or)?d|api[-_]?key|private[-_]?key)$/i;

/** Deep enough for request/response/error shapes; deeper values are cut rather than walked. */
const MAX_DEPTH = 8;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A copy of `value` with every secret-named field replaced by `[REDACTED]`, at any depth.
 * pino's own `redact` needs fixed paths (one `*` per level), which cannot promise "anywhere",
 * so log objects go through this walk instead. Errors are serialised first (pino's standard
 * serializer) so a secret on an error's own fields, such as an HTTP client's request config,
 * is redacted too. Objects are copied only when walked: the caller's object is never mutated.
 */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof Error) return redactSecrets({ ...stdSerializers.err(value) }, depth, seen);
    if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1, seen));
    if (!isPlainObject(value)) return value;
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      copy[key] = isSecretKey(key) ? REDACTED : redactSecrets(field, depth + 1, seen);
    }
    return copy;
  } finally {
    // Shared (non-circular) references may appear twice in one object.
    seen.delete(value);
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
