import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * One broker per data directory: two processes appending to the same segment
 * files would interleave batches and corrupt both logs. The lock file holds
 * the owner's PID; a lock left by a process that no longer exists (kill -9)
 * is taken over.
 */
export class DataDirLock {
  private constructor(private readonly file: string) {}

  static acquire(dataDir: string): DataDirLock {
    const file = path.join(dataDir, '.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
        return new DataDirLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = Number(fs.readFileSync(file, 'utf8').trim());
        if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
          throw new Error(`data directory ${dataDir} is in use by process ${owner}`);
        }
        if (owner === process.pid) {
          throw new Error(`data directory ${dataDir} is already used by a broker in this process`);
        }
        fs.rmSync(file, { force: true });
      }
    }
    throw new Error(`could not lock data directory ${dataDir}`);
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
