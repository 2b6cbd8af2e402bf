import * as fs from 'node:fs';
import * as path from 'node:path';

/** How long `acquire` waits for an owner that is still going away (killed, not yet gone). */
const OWNER_EXIT_WAIT_MS = 3_000;
const POLL_MS = 100;

/**
 * One broker per data directory: two processes appending to the same segment
 * files would interleave batches and corrupt both logs. The lock file holds
 * the owner's PID and, on Linux, its start time; a lock whose owner is gone
 * (kill -9) is taken over:
 *
 * - an owner that no longer exists, or is a zombie (killed, not yet reaped by
 *   its parent), is gone;
 * - a live process with the lock's PID but another start time is not the owner
 *   (the PID was reused, after a reboot for instance);
 * - an owner still alive is waited for a few seconds, since a process killed a
 *   moment ago can take that long to exit: `npm start` again right after kill -9
 *   then starts instead of failing.
 */
export class DataDirLock {
  private constructor(private readonly file: string) {}

  static async acquire(dataDir: string): Promise<DataDirLock> {
    const file = path.join(dataDir, '.lock');
    const deadline = Date.now() + OWNER_EXIT_WAIT_MS;
    for (;;) {
      try {
        fs.writeFileSync(file, `${process.pid} ${startTimeOf(process.pid) ?? ''}`.trim() + '\n', { flag: 'wx' });
        return new DataDirLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const [owner, ownerStart] = readOwner(file);
      if (owner === process.pid) throw new Error(`data directory ${dataDir} is already used by a broker in this process`);
      if (owner !== null && isOwnerAlive(owner, ownerStart)) {
        if (Date.now() >= deadline) throw new Error(`data directory ${dataDir} is in use by process ${owner}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        continue;
      }
      fs.rmSync(file, { force: true });
    }
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }
}

/** The lock's PID and recorded start time (absent in locks written before it was recorded). */
function readOwner(file: string): [pid: number | null, startTime: string | null] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [null, null]; // released meanwhile: try again
  }
  const [pid, start] = text.trim().split(/\s+/);
  const owner = Number(pid);
  return [Number.isInteger(owner) && owner > 0 ? owner : null, start || null];
}

/**
 * A process's start time (clock ticks after boot) and state from /proc on Linux; null where
 * there is no /proc, or no such process.
 */
function procStat(pid: number): { state: string; startTime: string } | null {
  try {
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its ')'.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return null;
  }
}

function startTimeOf(pid: number): string | null {
  return procStat(pid)?.startTime ?? null;
}

function isOwnerAlive(pid: number, recordedStart: string | null): boolean {
  if (fs.existsSync('/proc/self/stat')) {
    const stat = procStat(pid);
    if (!stat) return false;
    if (stat.state === 'Z' || stat.state === 'X') return false;
    return recordedStart === null || stat.startTime === recordedStart;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
