/** One variable that failed to parse, and why. Never carries the value: it may be a secret. */
export interface ConfigIssue {
  variable: string;
  reason: string;
}

/**
 * Thrown at boot when the environment does not satisfy the service's schema. The message
 * lists every bad variable at once, so one restart fixes them all instead of one per attempt.
 * Configuration errors are never retriable: the process should exit.
 */
export class ConfigError extends Error {
  readonly retriable = false;

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  - ${issue.variable}: ${issue.reason}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}
