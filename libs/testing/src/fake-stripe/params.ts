/** A form parameter as Stripe receives it: every leaf is a string, as sent on the wire. */
export type FormValue = string | FormValue[] | FormParams;
export interface FormParams {
  [key: string]: FormValue;
}

/** The `error` member of a Stripe error response. */
export interface StripeErrorBody {
  type: string;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
}

/** Thrown while handling a request; answered as `{ error }` with `status`. */
export class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: StripeErrorBody,
  ) {
    super(error.message);
  }
}

/** A 400 `invalid_request_error`: the SDK throws StripeInvalidRequestError. */
export function invalidRequest(message: string, details: { code?: string; param?: string } = {}): StripeFailure {
  return new StripeFailure(400, { type: 'invalid_request_error', message, ...details });
}

type Tree = Map<string, Tree | string>;

/**
 * Parses an `application/x-www-form-urlencoded` body or query string the way Stripe reads the
 * SDK's encoding: `a[b][c]=x` nests objects, `a[0][b]=x` and `a[]=x` build arrays. Containers are
 * Maps while parsing, so a key such as `__proto__` is only ever data.
 */
export function parseForm(encoded: string): FormParams {
  const root: Tree = new Map();
  for (const [key, value] of new URLSearchParams(encoded)) insert(root, keyPath(key), value);
  return Object.fromEntries([...root].map(([key, child]) => [key, materialize(child, key)]));
}

/** `line_items[0][price_data]` → `['line_items', '0', 'price_data']`; a malformed key stays whole. */
function keyPath(key: string): string[] {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!match) return [key];
  return [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
}

function insert(tree: Tree, path: string[], value: string): void {
  let node = tree;
  path.forEach((segment, i) => {
    // `a[]=x` appends; materialize() orders index keys numerically.
    const key = segment === '' ? String(node.size) : segment;
    if (i === path.length - 1) {
      node.set(key, value);
      return;
    }
    let child = node.get(key);
    if (!(child instanceof Map)) node.set(key, (child = new Map()));
    node = child;
  });
}

/**
 * A container whose keys are all indexes becomes an array (the SDK skips undefined elements, so
 * indexes can have gaps). Metadata stays a string map even when its keys happen to be digits.
 */
function materialize(node: Tree | string, key: string): FormValue {
  if (typeof node === 'string') return node;
  const entries = [...node].map(([k, child]) => [k, materialize(child, k)] as const);
  const isList = key !== 'metadata' && entries.every(([k]) => /^\d+$/.test(k));
  if (isList) return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
  return Object.fromEntries(entries);
}

/**
 * Typed reads of one level of form params, refusing bad input with Stripe's error codes and the
 * param named in Stripe's bracket notation (`line_items[0][quantity]`). An empty string is how
 * the SDK sends `null`, so it reads as absent.
 */
export class Params {
  constructor(
    private readonly values: FormParams,
    private readonly prefix = '',
  ) {}

  name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  string(key: string): string | undefined {
    const value = this.values[key];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${this.name(key)}`, { param: this.name(key) });
    return value;
  }

  requiredString(key: string): string {
    return this.string(key) ?? this.missing(key);
  }

  oneOf<const T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
    throw invalidRequest(`Invalid ${this.name(key)}: must be one of ${allowed.join(', ')}`, { param: this.name(key) });
  }

  /** Stripe amounts and timestamps: integers in a string, no smaller than `min`. */
  int(key: string, min: number): number | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const param = this.name(key);
    const number = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(number)) {
      throw invalidRequest(`Invalid integer: ${value}`, { code: 'parameter_invalid_integer', param });
    }
    if (number < min) {
      throw invalidRequest(`This value must be greater than or equal to ${min}.`, { code: 'parameter_invalid_integer', param });
    }
    return number;
  }

  requiredInt(key: string, min: number): number {
    return this.int(key, min) ?? this.missing(key);
  }

  boolean(key: string): boolean | undefined {
    const value = this.oneOf(key, ['true', 'false']);
    return value === undefined ? undefined : value === 'true';
  }

  currency(key: string): string {
    const value = this.requiredString(key).toLowerCase();
    if (/^[a-z]{3}$/.test(value)) return value;
    throw invalidRequest(`Invalid currency: ${value}.`, { param: this.name(key) });
  }

  object(key: string): Params | undefined {
    const value = this.values[key];
    if (value === undefined || value === '') return undefined;
    if (typeof value === 'object' && !Array.isArray(value)) return new Params(value, this.name(key));
    throw invalidRequest(`Invalid object: ${this.name(key)}`, { param: this.name(key) });
  }

  requiredObject(key: string): Params {
    return this.object(key) ?? this.missing(key);
  }

  /** An array of objects, e.g. `line_items`. */
  list(key: string): Params[] {
    const value = this.values[key];
    if (value === undefined || value === '') return [];
    if (!Array.isArray(value)) throw invalidRequest(`Invalid array: ${this.name(key)}`, { param: this.name(key) });
    return value.map((item, i) => {
      const name = `${this.name(key)}[${i}]`;
      if (typeof item === 'object' && !Array.isArray(item)) return new Params(item, name);
      throw invalidRequest(`Invalid object: ${name}`, { param: name });
    });
  }

  strings(key: string): string[] {
    const value = this.values[key];
    if (value === undefined || value === '') return [];
    const list = Array.isArray(value) ? value : [value];
    if (list.every((item): item is string => typeof item === 'string')) return list;
    throw invalidRequest(`Invalid array: ${this.name(key)}`, { param: this.name(key) });
  }

  /** Stripe metadata: a flat map of strings; a key sent empty is unset, as in Stripe. */
  metadata(key = 'metadata'): Record<string, string> {
    const params = this.object(key);
    if (!params) return {};
    const set = Object.keys(params.values).filter((k) => params.values[k] !== '');
    return Object.fromEntries(set.map((k) => [k, params.requiredString(k)]));
  }

  /** Refuses the request for lacking `key`. */
  missing(key: string): never {
    throw invalidRequest(`Missing required param: ${this.name(key)}.`, { code: 'parameter_missing', param: this.name(key) });
  }
}
