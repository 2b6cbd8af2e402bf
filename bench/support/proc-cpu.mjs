// CPU time from Linux's /proc, for the benches' "CPU per …" lines.
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time a process (a PID) or one of its threads (`<pid>/task/<tid>`) has used so far, in ms ({ user, system }); zeros once it is gone. */
export function cpuOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 }; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return { user: 0, system: 0 };
  }
}

/**
 * The Postgres server processes serving any of `databases` (their title is "postgres:
 * [<cluster>: ]<user> <database> <client> <state>"), and the CPU each has used: sampled while
 * the bench runs, since a pool closes idle connections and a closed one takes its count with it.
 * No databases: nothing to sample, and the total stays zero.
 */
export function postgresCpu(databases) {
  const seen = new Map();
  const names = databases.filter(Boolean);
  const title = new RegExp(`^postgres: (?:[^:]+: )?\\S+ (${names.join('|')}) `);
  const sample = () => {
    if (names.length === 0) return;
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let cmdline;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      const database = title.exec(cmdline)?.[1];
      if (!database) continue;
      const { user, system } = cpuOf(pid);
      if (user + system > 0) seen.set(pid, { user, system, database });
    }
  };
  return {
    sample,
    total: () => [...seen.values()].reduce((sum, cpu) => ({ user: sum.user + cpu.user, system: sum.system + cpu.system }), { user: 0, system: 0 }),
    /** CPU ms so far by database. */
    byDatabase: () => [...seen.values()].reduce((by, cpu) => by.set(cpu.database, (by.get(cpu.database) ?? 0) + cpu.user + cpu.system), new Map()),
  };
}

/** CPU used between two readings, in ms. */
export const cpuSpent = (before, after) => after.user + after.system - before.user - before.system;
