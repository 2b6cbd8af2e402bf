import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { callApi } from '@orderflow/service-testing';
import { tempDir } from '@orderflow/testing';
import { startOneMachine, type OneMachine } from '../src';
import { assertBuilt, MAIN_JS } from './support/one-machine-process';

/** A database being created is assembled under this name beside its directory (see @orderflow/db). */
const STAGING = /\.initialising$/;

/** A route per service that reads its own tables, so it fails on a database missing any of them. */
const READS_ITS_TABLES = {
  ingress: '/admin/events',
  order: '/admin/orders',
  fulfillment: '/admin/license-pools',
  notification: '/admin/notifications',
  dispatch: '/admin/subscriptions',
} as const;

/**
 * Runs `npm start` on an empty data directory and freezes it the moment it starts copying a
 * database into place (SIGSTOP, so what it left can be looked at), then kills it (SIGKILL: no
 * handler runs). Resolves with the data directory's entries as the kill left them.
 */
async function killWhileCreatingDatabases(dataDir: string): Promise<string[]> {
  const child = spawn(process.execPath, [MAIN_JS], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', KAFKA_PORT: '0', LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const watcher = fs.watch(dataDir);
  try {
    await new Promise<void>((resolve, reject) => {
      watcher.on('change', (_event, name) => {
        if (!STAGING.test(String(name))) return;
        child.kill('SIGSTOP');
        resolve();
      });
      void exited.then(() => reject(new Error('one-machine exited before it created a database')));
    });
    return fs.readdirSync(dataDir);
  } finally {
    watcher.close();
    child.kill('SIGKILL');
    await exited;
  }
}

describe('one machine: a first start killed while it creates the databases', () => {
  const dir = tempDir();
  let machine: OneMachine | undefined;
  afterAll(async () => {
    await machine?.stop();
    dir.remove();
  });

  it('leaves nothing the next start takes for a database: that start makes every one whole', async () => {
    assertBuilt();
    const left = await killWhileCreatingDatabases(dir.path);
    expect(left.filter((name) => STAGING.test(name))).not.toEqual([]);

    machine = await startOneMachine({ DATA_DIR: dir.path, PORT: '0', KAFKA_PORT: '0', LOG_LEVEL: 'silent' });
    const { ADMIN_TOKEN } = JSON.parse(fs.readFileSync(machine.secretsFile, 'utf8')) as { ADMIN_TOKEN: string };
    for (const [service, route] of Object.entries(READS_ITS_TABLES)) {
      const url = machine.urls[service as keyof typeof READS_ITS_TABLES];
      expect({ service, status: (await fetch(`${url}/readyz`)).status }).toEqual({ service, status: 200 });
      expect({ service, status: (await callApi(url, route, { bearer: ADMIN_TOKEN })).status }).toEqual({ service, status: 200 });
    }
    expect(fs.readdirSync(dir.path).filter((name) => STAGING.test(name))).toEqual([]);
    // Two first starts of five PGlite databases: over a minute on a busy 2-core machine.
  }, 180_000);
});
