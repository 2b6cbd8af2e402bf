/** A failure the CLI reports as one line on stderr and an exit code, without a stack trace. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Wrong or missing arguments: exit code 2, with the command's help text. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message, 2);
  }
}
