import type { Env } from './secret-sources';

/** What a command may touch of its process: passed in, so tests run commands in-process. */
export interface CliIo {
  /** Writes a line (or block) to stdout. */
  out(text: string): void;
  /** Writes a line (or block) to stderr. */
  err(text: string): void;
  env: Env;
  cwd: string;
  /** Aborted when the user asks to stop (Ctrl-C): `listen` runs until then. */
  stop: AbortSignal;
}
