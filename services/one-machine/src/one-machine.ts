import * as path from 'node:path';
import type { Env } from '@orderflow/config';
import { originRouter, startHttpServer, type HttpServer } from '@orderflow/http';
import type { RunningBroker } from '@orderflow/kafka-broker';
import { chooseLogFormat, createLogger, LOG_FORMATS, type LogFormat, type Logger } from '@orderflow/logging';
import { reserveConsole } from './console';
import { startEmbeddedBroker } from './embedded-broker';
import { localSecrets, serviceSecrets } from './secrets';
import { BACKENDS, configOf, type BackendName } from './services';
import { ServiceThread } from './thread';

export interface OneMachine {
  /**
   * The one origin (`PORT`): every public route, passed to its service by the route table the
   * Kubernetes Ingress and the Compose gateway route by too (`ORIGIN_ROUTES`).
   */
  readonly url: string;
  /** Where each service answers on its own port, by name. */
  readonly urls: Readonly<Record<ServiceName, string>>;
  readonly brokers: readonly string[];
  /** Where the brokers came from: `KAFKA_BROKERS`, or how the embedded broker's port was chosen. */
  readonly brokerNote: string;
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

/** Default ports: PORT (3000) for the one origin, the next six for the services (the console last). */
const OFFSETS: Record<ServiceName, number> = { ingress: 1, order: 2, fulfillment: 3, notification: 4, dispatch: 5, console: 6 };

/** The default end of a mode whose service stopped unexpectedly: the process exits, as it would have. */
const exitProcess = (): void => process.exit(1);

/**
 * Every service in this process, each on its own thread (the broker and the console on the main
 * one), on embedded defaults that configuration replaces one at a time: the Kafka-protocol broker
 * unless `KAFKA_BROKERS`, a PGlite database per service under `DATA_DIR` unless
 * `<SERVICE>_DATABASE_URL`, in-memory dedupe unless `REDIS_URL`, and secrets generated into
 * `<DATA_DIR>/secrets.json` unless set. The one origin on `PORT` answers every public route,
 * passing each request to its service; each service also keeps its own HTTP port (PORT+1 to
 * PORT+6, or `<SERVICE>_PORT`); `PORT=0` gives the origin and every service a free port. Threads, not one
 * event loop: a service's synchronous work (PGlite runs on the thread that queries it) never
 * holds up the ingress's answers, and both cores of a small machine are used.
 */
export async function startOneMachine(
  env: Env = process.env,
  logger: Logger = createLogger({ name: 'orderflow', level: (env.LOG_LEVEL as 'info') ?? 'info', format: logFormatOf(env) }),
  onFailure: (err: Error) => void = exitProcess,
): Promise<OneMachine> {
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const { secrets, file: secretsFile, created } = localSecrets(dataDir);
  if (created) logger.info({ file: secretsFile }, 'generated local secrets (admin and metrics tokens, webhook secret, signing and encryption keys)');

  let broker: RunningBroker | undefined;
  let brokers = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  let brokerNote = 'KAFKA_BROKERS';
  if (brokers.length === 0) {
    ({ broker, note: brokerNote } = await startEmbeddedBroker(env, dataDir, logger));
    brokers = broker.brokers;
  }

  const basePort = Number(env.PORT ?? 3000);
  const portOf = (name: ServiceName) => String(basePort === 0 ? 0 : basePort + OFFSETS[name]);
  const urls = {} as Record<ServiceName, string>;
  // The origin listens first: customer mails link to its /account page, and until a service is
  // up its routes are answered 503.
  const router = originRouter({ targets: () => urls, logger: logger.child({ service: 'origin' }) });
  const origin: HttpServer = await startHttpServer(router, { port: basePort, host: env.HOST ?? '127.0.0.1' }).catch(async (err: unknown) => {
    await broker?.stop();
    throw err;
  });
  const consoleSlot = await reserveConsole(Number(env.CONSOLE_PORT ?? portOf('console')), env.HOST ?? '127.0.0.1').catch(async (err: unknown) => {
    await origin.close();
    await broker?.stop();
    throw err;
  });
  const generated = serviceSecrets(secrets);
  // METRICS_PUBLIC=true from the environment opens /metrics instead of the generated token
  // (the two together are refused as a contradiction), unless METRICS_TOKEN is set there too.
  const { METRICS_TOKEN: _generatedMetricsToken, ...withoutMetricsToken } = generated;
  const fromSecrets = env.METRICS_PUBLIC === 'true' ? withoutMetricsToken : generated;
  // The services believe the origin (on loopback) about the client's address: rate limits and
  // logs see the real client, which the origin names in X-Forwarded-For.
  const shared: Env = { ...fromSecrets, ACCOUNT_URL: `${origin.url}/account`, TRUST_PROXY: 'loopback', ...env, DATA_DIR: dataDir, KAFKA_BROKERS: brokers.join(','), HOST: env.HOST ?? '127.0.0.1' };
  const envFor = (name: ServiceName, extra: Env = {}): Env => ({ ...shared, PORT: env[`${name.toUpperCase()}_PORT`] ?? portOf(name), ...extra });
  const envOf = (name: BackendName): Env =>
    envFor(name, {
      ...(name === 'order' ? { STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY } : {}),
      ...(name === 'dispatch' ? { OUTBOUND_ALLOWED_HOSTS: env.OUTBOUND_ALLOWED_HOSTS ?? LOOPBACK_HOSTS } : {}),
      // Mail, Discord and Slack with nowhere to go are kept for the console's Mail page; the
      // shop's own mails go to a local admin address there, so they can be read too.
      ...(name === 'notification' ? { KEEP_UNSENT: env.KEEP_UNSENT ?? 'true', MAIL_FROM: env.MAIL_FROM ?? 'Orderflow <orders@orderflow.localhost>', SHOP_ADMIN_EMAIL: env.SHOP_ADMIN_EMAIL ?? 'shop-admin@orderflow.localhost' } : {}),
    });

  const threads: ServiceThread[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await origin.close();
      router.close();
      await consoleSlot.close();
      // The ingress first: no webhook is accepted that the others would not see.
      const ingress = threads.find((t) => t.name === 'ingress');
      await ingress?.stop();
      await Promise.all(threads.filter((t) => t !== ingress).map((t) => t.stop()));
      await broker?.stop();
    })());
  // A service's thread that ends on its own would leave the rest running without it: as one
  // process would have died, everything stops and `onFailure` decides (by default, exit 1).
  const failed = (name: string, err: Error) => {
    logger.fatal({ service: name, err }, 'a service stopped unexpectedly; stopping Orderflow');
    void stop().finally(() => onFailure(err));
  };
  try {
    // Every configuration read first: a wrong variable stops start-up before any service starts.
    for (const name of BACKENDS) await configOf(name, envOf(name));
    // Then each service on its own thread, all starting at once (their databases open in parallel).
    const level = env.LOG_LEVEL ?? 'info';
    const started = await Promise.allSettled(
      BACKENDS.map((name) =>
        ServiceThread.start({ name, env: envOf(name), port: Number(envOf(name).PORT), host: shared.HOST!, logLevel: level, logFormat: logFormatOf(env), logColors: process.stdout.isTTY === true }, failed),
      ),
    );
    for (const outcome of started) if (outcome.status === 'fulfilled') threads.push(outcome.value);
    const refused = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (refused) throw refused.reason;
    for (const thread of threads) urls[thread.name as BackendName] = thread.url;
    await consoleSlot.serve(shared, urls, logger.child({ service: 'console' }));
    urls.console = consoleSlot.url;
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { url: origin.url, urls, brokers, brokerNote, dataDir, secretsFile, stop };
}

/**
 * `LOG_FORMAT`, or readable lines when this process's stdout is a terminal: decided here, on the
 * main thread, for every service's thread (a thread's own stdout is no terminal). A value that is
 * neither stops start-up when the services read their configuration.
 */
function logFormatOf(env: Env): LogFormat {
  const requested = LOG_FORMATS.find((format) => format === env.LOG_FORMAT);
  return chooseLogFormat(requested, process.stdout.isTTY);
}
