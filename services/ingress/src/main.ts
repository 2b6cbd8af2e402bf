import type { Server } from 'node:http';
import { ConfigError } from '@orderflow/config';
import { createLogger } from '@orderflow/logging';
import { loadIngressConfig } from './config';
import { buildIngress } from './ingress';

/** The composition root: config, build, listen, and a graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadIngressConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger({ name: 'ingress', level: config.LOG_LEVEL });
  const ingress = buildIngress(config, { logger });
  await ingress.start();
  const server: Server = await new Promise((resolve) => {
    const s = ingress.app.listen(config.PORT, config.HOST, () => resolve(s));
  });
  logger.info({ address: server.address() }, 'ingress listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new connections, finishing requests in flight');
    // Idle keep-alive connections would hold close() open until they time out.
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await ingress.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`ingress failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
