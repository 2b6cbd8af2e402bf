import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, UsageError } from './cli-error';
import type { CliIo } from './cli-io';
import { parseListenArgs } from './listen.args';
import { runListen } from './listen.command';
import { parseTriggerArgs } from './trigger.args';
import { runTrigger } from './trigger.command';
import { LISTEN_USAGE, MAIN_USAGE, TRIGGER_USAGE } from './usage';

function version(): string {
  const file = path.join(__dirname, '..', 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'trigger': {
      const args = parseTriggerArgs(rest);
      if (args !== 'help') return runTrigger(args, io);
      io.out(TRIGGER_USAGE);
      return 0;
    }
    case 'listen': {
      const args = parseListenArgs(rest);
      if (args !== 'help') return runListen(args, io);
      io.out(LISTEN_USAGE);
      return 0;
    }
    case 'help':
    case '--help':
    case '-h':
      io.out(rest[0] === 'trigger' ? TRIGGER_USAGE : rest[0] === 'listen' ? LISTEN_USAGE : MAIN_USAGE);
      return 0;
    case '--version':
      io.out(version());
      return 0;
    case undefined:
      throw new UsageError('which command? trigger or listen', MAIN_USAGE);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}: trigger or listen`, MAIN_USAGE);
  }
}

/**
 * The `orderflow` command line, for the bin script and for tests: the exit code is returned,
 * never exits the process. 0 done, 1 failed (the ingress said no, a server could not be
 * reached), 2 wrong usage or a missing secret.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    // The message comes last, where the eye lands after a screen of help.
    if (err instanceof UsageError) io.err(`${err.help}\n\norderflow: ${err.message}`);
    else if (err instanceof CliError) io.err(`orderflow: ${err.message}`);
    else io.err(`orderflow: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}
