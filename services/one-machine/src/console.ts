import type { Env } from '@orderflow/config';
import { buildConsole, loadConsoleConfig } from '@orderflow/console';
import { startHttpServer, type HttpServer, type RunnableService } from '@orderflow/http';
import type { Logger } from '@orderflow/logging';
import express, { type Express } from 'express';

export interface ConsoleSlot {
  /** Where the console answers: `/console` for staff, `/account` for customers. */
  readonly url: string;
  /** Builds the console against the services' URLs and starts answering with it. */
  serve(env: Env, urls: Record<'ingress' | 'order' | 'fulfillment' | 'notification' | 'dispatch', string>, logger: Logger): Promise<void>;
  /** Stops answering; the console keeps no data, so nothing else is left to stop. */
  close(): Promise<void>;
}

/**
 * The console on its own port, listening before the services are built (the origin passes it
 * `/console` and `/account` from the start). Until `serve`, every request is answered 503.
 */
export async function reserveConsole(port: number, host: string): Promise<ConsoleSlot> {
  let app: Express | undefined;
  let service: RunnableService | undefined;
  const front = express();
  front.disable('x-powered-by');
  front.use((req, res, next) => {
    if (app) return app(req, res, next);
    res.status(503).set('retry-after', '1').type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'Orderflow is starting' }));
  });
  const http: HttpServer = await startHttpServer(front, { port, host });
  return {
    url: http.url,
    async serve(env, urls, logger) {
      const config = loadConsoleConfig({
        ...env,
        INGRESS_URL: urls.ingress,
        ORDER_URL: urls.order,
        FULFILLMENT_URL: urls.fulfillment,
        NOTIFICATION_URL: urls.notification,
        DISPATCH_URL: urls.dispatch,
      });
      const built = buildConsole(config, { logger });
      await built.start();
      service = built;
      app = built.app;
    },
    async close() {
      await http.close();
      await service?.stop();
    },
  };
}
