import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error';
import { secretSchemas } from './env-types';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses the environment once, at boot, against the service's schema. Fails with a
 * `ConfigError` naming every bad variable (never its value) so the process stops before it
 * serves anything half-configured.
 *
 * An empty variable counts as unset: `FOO=` in an env file then falls back to the default,
 * or is reported as missing, instead of failing as an unparseable ''.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): Readonly<z.output<S>> {
  const defaulted = secretsWithDefaults(schema);
  if (defaulted.length > 0) {
    throw new ConfigError(defaulted.map((variable) => ({ variable, reason: 'is a secret and must not have a default' })));
  }

  const input: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') input[key] = value;
  }

  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describe(issue, input)));
  }
  return Object.freeze(result.data);
}

function describe(issue: z.core.$ZodIssue, input: Record<string, string>): ConfigIssue {
  const variable = issue.path.map(String).join('.') || '(environment)';
  const missing = issue.code === 'invalid_type' && issue.path.length === 1 && !(String(issue.path[0]) in input);
  return { variable, reason: missing ? 'is required but not set' : issue.message };
}

/** Top-level variables whose schema is a `secret()` wrapped in a default. */
function secretsWithDefaults(schema: z.ZodObject): string[] {
  const found: string[] = [];
  for (const [key, field] of Object.entries(schema.shape)) {
    let current = field as z.ZodType;
    let hasDefault = false;
    // Unwrap the wrappers a default can hide under (`.optional().default()`, `.prefault()`).
    for (;;) {
      if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) hasDefault = true;
      if (
        current instanceof z.ZodDefault ||
        current instanceof z.ZodPrefault ||
        current instanceof z.ZodOptional ||
        current instanceof z.ZodNullable
      ) {
        current = current.unwrap() as z.ZodType;
        continue;
      }
      break;
    }
    if (hasDefault && secretSchemas.has(current)) found.push(key);
  }
  return found;
}
