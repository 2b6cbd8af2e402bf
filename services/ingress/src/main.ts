import { ConfigError } from '@orderflow/config';
import { startHttpServer } from '@orderflow/http';
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
  const http = await startHttpServer(ingress.app, { port: config.PORT, host: config.HOST });
  logger.info({ url: http.url }, 'ingress listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new connections, finishing requests in flight');
    await http.close();
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
