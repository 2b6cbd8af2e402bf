import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { tempDir } from '@orderflow/testing';
import { CLI, startBrokerProcess } from './broker-process';

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('orderflow-kafka command line', () => {
  it('prints its usage with --help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--data-dir DIR/);
  });

  it('rejects an unknown option or a bad port with exit code 2 and says which', async () => {
    const unknown = await run(['--colour', 'blue']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/colour/);
    const port = await run(['--port', 'ninety']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port must be an integer/);
  });

  it('announces readiness, serves metrics, and stops cleanly on SIGTERM leaving a clean-shutdown marker', async () => {
    const dir = tempDir();
    try {
      const metricsPort = await freePort();
      const broker = await startBrokerProcess(['--data-dir', dir.path, '--metrics-port', String(metricsPort)]);
      expect(broker.output()).toMatch(/listening on 127\.0\.0\.1:\d+/);
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/orderflow_kafka_connections/);

      broker.child.kill('SIGTERM');
      expect(await broker.exited).toBe(0);
      expect(fs.existsSync(path.join(dir.path, '.clean-shutdown'))).toBe(true);
      expect(fs.existsSync(path.join(dir.path, '.lock'))).toBe(false);

      // After a clean stop the next start trusts the logs and skips checksum verification.
      const again = await startBrokerProcess(['--data-dir', dir.path]);
      expect(again.output()).toMatch(/"checkedCrc":false/);
      again.child.kill('SIGINT');
      expect(await again.exited).toBe(0);
    } finally {
      dir.remove();
    }
  });
});
