import * as path from 'node:path';
import type { Env } from '@orderflow/config';
import { buildFulfillmentService, loadFulfillmentConfig } from '@orderflow/fulfillment';
import { startHttpServer, type HttpServer, type RunnableService } from '@orderflow/http';
import { buildIngress, loadIngressConfig } from '@orderflow/ingress';
import { startBroker, type RunningBroker } from '@orderflow/kafka-broker';
import { createLogger, type Logger } from '@orderflow/logging';
import { buildNotificationService, loadNotificationConfig } from '@orderflow/notification';
import { buildOrderService, loadOrderConfig } from '@orderflow/order';
import { buildDispatchService, loadDispatchConfig } from '@orderflow/outbound-dispatch';
import { reserveConsole } from './console';
import { localSecrets, serviceSecrets } from './secrets';

export interface OneMachine {
  /** Where each service answers, by name. */
  readonly urls: Readonly<Record<ServiceName, string>>;
  readonly brokers: readonly string[];
  readonly dataDir: string;
  readonly secretsFile: string;
  /** Stops every service (HTTP first, then consumers), then the embedded broker. */
  stop(): Promise<void>;
}

export type ServiceName = 'ingress' | 'order' | 'fulfillment' | 'notification' | 'dispatch' | 'console';

/**
 * Partner endpoints on this machine (`orderflow listen`) may be subscribed to: this mode is for
 * trying Orderflow locally. Only loopback, and only here: the services alone allow nothing
 * unless OUTBOUND_ALLOWED_HOSTS says so, and setting it (even empty) replaces this default.
 */
const LOOPBACK_HOSTS = 'localhost,127.0.0.1,::1';

/** Default ports: PORT (3000) for the ingress, the next five for the others (the console last). */
const OFFSETS: Record<ServiceName, number> = { ingress: 0, order: 1, fulfillment: 2, notification: 3, dispatch: 4, console: 5 };

/**
 * Every service in this process, on embedded defaults that configuration replaces one at a
 * time: the Kafka-protocol broker unless `KAFKA_BROKERS`, a PGlite database per service under
 * `DATA_DIR` unless `<SERVICE>_DATABASE_URL`, in-memory dedupe unless `REDIS_URL`, and secrets
 * generated into `<DATA_DIR>/secrets.json` unless set. Each service keeps its own HTTP port
 * (its routes, `/healthz`, `/readyz` and `/metrics`); `PORT=0` gives every one a free port.
 */
export async function startOneMachine(env: Env = process.env, logger: Logger = createLogger({ name: 'orderflow', level: (env.LOG_LEVEL as 'info') ?? 'info' })): Promise<OneMachine> {
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const { secrets, file: secretsFile, created } = localSecrets(dataDir);
  if (created) logger.info({ file: secretsFile }, 'generated local secrets (admin token, webhook secret, signing and encryption keys)');

  let broker: RunningBroker | undefined;
  let brokers = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) {
    broker = await startBroker({ port: Number(env.KAFKA_PORT ?? 9092), dataDir: path.join(dataDir, 'kafka'), logLevel: 'warn' });
    brokers = broker.brokers;
  }

  const basePort = Number(env.PORT ?? 3000);
  const portOf = (name: ServiceName) => String(basePort === 0 ? 0 : basePort + OFFSETS[name]);
  // The console listens first: customer mails link to its /account page (see console.ts).
  const consoleSlot = await reserveConsole(Number(env.CONSOLE_PORT ?? portOf('console')), env.HOST ?? '127.0.0.1').catch(async (err: unknown) => {
    await broker?.stop();
    throw err;
  });
  const shared: Env = { ...serviceSecrets(secrets), ACCOUNT_URL: consoleSlot.accountUrl, ...env, DATA_DIR: dataDir, KAFKA_BROKERS: brokers.join(','), HOST: env.HOST ?? '127.0.0.1' };
  const envFor = (name: ServiceName, extra: Env = {}): Env => ({ ...shared, PORT: env[`${name.toUpperCase()}_PORT`] ?? portOf(name), ...extra });
  const child = (name: string) => logger.child({ service: name });

  const builds: Array<[Exclude<ServiceName, 'console'>, () => RunnableService]> = [
    ['ingress', () => buildIngress(loadIngressConfig(envFor('ingress')), { logger: child('ingress') })],
    ['order', () => buildOrderService(loadOrderConfig(envFor('order', { STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY })), { logger: child('order') })],
    ['fulfillment', () => buildFulfillmentService(loadFulfillmentConfig(envFor('fulfillment')), { logger: child('fulfillment') })],
    ['notification', () => buildNotificationService(loadNotificationConfig(envFor('notification')), { logger: child('notification') })],
    ['dispatch', () => buildDispatchService(loadDispatchConfig(envFor('dispatch', { OUTBOUND_ALLOWED_HOSTS: env.OUTBOUND_ALLOWED_HOSTS ?? LOOPBACK_HOSTS })), { logger: child('outbound-dispatch') })],
  ];

  const running: Array<{ service: RunnableService; http: HttpServer }> = [];
  const urls = {} as Record<ServiceName, string>;
  const stop = async () => {
    await consoleSlot.close();
    for (const { http } of running) await http.close();
    for (const { service } of [...running].reverse()) await service.stop();
    await broker?.stop();
  };
  try {
    // Built first, all of them: a wrong variable stops start-up before any service listens.
    const services = builds.map(([name, build]) => [name, build()] as const);
    for (const [name, service] of services) {
      await service.start();
      const http = await startHttpServer(service.app, { port: Number(envFor(name).PORT), host: shared.HOST! });
      running.push({ service, http });
      urls[name] = http.url;
    }
    await consoleSlot.serve(shared, urls, child('console'));
    urls.console = consoleSlot.url;
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { urls, brokers, dataDir, secretsFile, stop };
}
