import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError } from './cli-error';

export type Env = Readonly<Record<string, string | undefined>>;

/** A secret and where it came from, for messages: the value itself is never printed. */
export interface Found {
  value: string;
  from: string;
}

/**
 * Where the CLI finds secrets it was not given: the environment first, then the secrets file the
 * one-machine mode keeps (`<DATA_DIR or ./data>/secrets.json`), so that after `npm start` every
 * command works without flags.
 */
export class SecretSources {
  readonly file: string;
  private values: Record<string, unknown> | null | undefined;

  constructor(
    private readonly env: Env,
    readonly dataDir: string,
  ) {
    this.file = path.join(dataDir, 'secrets.json');
  }

  static of(env: Env, cwd: string, dataDirFlag: string | undefined): SecretSources {
    return new SecretSources(env, path.resolve(cwd, dataDirFlag ?? (env.DATA_DIR || './data')));
  }

  lookup(name: string): Found | null {
    const fromEnv = this.env[name];
    if (fromEnv) return { value: fromEnv, from: `${name} from the environment` };
    const stored = this.read()?.[name];
    return typeof stored === 'string' && stored ? { value: stored, from: `${name} in ${this.file}` } : null;
  }

  private read(): Record<string, unknown> | null {
    if (this.values !== undefined) return this.values;
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (this.values = null);
      throw new CliError(`cannot read ${this.file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError(`${this.file} is not valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${this.file} does not hold a JSON object`);
    return (this.values = parsed as Record<string, unknown>);
  }
}

/** The Stripe webhook secret: `--secret`, else the first of `STRIPE_WEBHOOK_SECRET` (a list during a rotation). */
export function stripeSecret(flag: string | undefined, sources: SecretSources): Found | null {
  if (flag) return { value: flag, from: '--secret' };
  const found = sources.lookup('STRIPE_WEBHOOK_SECRET');
  const first = found?.value.split(',').map((s) => s.trim()).find(Boolean);
  return found && first ? { value: first, from: found.from } : null;
}

/** The Wix private key: `--key` (a PEM file, or the PEM itself), else `WIX_PRIVATE_KEY`. */
export function wixPrivateKey(flag: string | undefined, sources: SecretSources, cwd: string): Found | null {
  if (flag?.includes('-----BEGIN')) return { value: flag, from: '--key' };
  if (flag) {
    const file = path.resolve(cwd, flag);
    try {
      return { value: fs.readFileSync(file, 'utf8'), from: `--key ${file}` };
    } catch (err) {
      throw new CliError(`cannot read the Wix key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return sources.lookup('WIX_PRIVATE_KEY');
}

/** `API_KEYS` is `instanceId:key` pairs, comma-separated; the first pair is the local shop's. */
function firstApiKey(sources: SecretSources): { instanceId: string; key: string; from: string } | null {
  const found = sources.lookup('API_KEYS');
  const pair = found?.value.split(',').map((p) => p.trim()).find((p) => /^[^:\s]+:\S+$/.test(p));
  if (!found || !pair) return null;
  const at = pair.indexOf(':');
  return { instanceId: pair.slice(0, at), key: pair.slice(at + 1), from: found.from };
}

/** The API key for the outbound-dispatch API: `--api-key`, else the first key of `API_KEYS`. */
export function apiKey(flag: string | undefined, sources: SecretSources): Found | null {
  if (flag) return { value: flag, from: '--api-key' };
  const first = firstApiKey(sources);
  return first ? { value: first.key, from: first.from } : null;
}

/**
 * The instance triggered orders belong to when `--instance` is not given: the one whose API key
 * `listen --subscribe` uses, so a local listener receives the events of the orders triggered.
 */
export function defaultInstance(sources: SecretSources): string | null {
  return firstApiKey(sources)?.instanceId ?? null;
}
