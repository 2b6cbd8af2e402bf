import { bool, durationMs, loadConfig, logFormat, port, url, type Env } from '@orderflow/config';
import { originRouter, type RunnableService } from '@orderflow/http';
import type { Logger } from '@orderflow/logging';
import express from 'express';
import { z } from 'zod';

const serviceUrl = () => url({ protocols: ['http', 'https'] });

/**
 * The gateway's environment: where each service answers. The gateway is the one origin of a
 * multi-process deployment without an ingress controller (Compose): it routes by the same table
 * (`ORIGIN_ROUTES`) as `npm start` and the Kubernetes Ingress.
 */
export const gatewayConfigSchema = z.object({
  PORT: port().default(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: logFormat(),
  /**
   * A load balancer in front of the gateway names the client in X-Forwarded-For: true passes its
   * list on with the peer added. Default false: the peer is the client, whatever it claims.
   */
  TRUST_FORWARDED: bool().default(false),
  /** How long a service has to start its answer before the gateway answers 504. */
  GATEWAY_TIMEOUT: durationMs().default(60_000),
  INGRESS_URL: serviceUrl(),
  ORDER_URL: serviceUrl(),
  FULFILLMENT_URL: serviceUrl(),
  NOTIFICATION_URL: serviceUrl(),
  DISPATCH_URL: serviceUrl(),
  CONSOLE_URL: serviceUrl(),
});

export type GatewayConfig = Readonly<z.output<typeof gatewayConfigSchema>>;

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  return loadConfig(gatewayConfigSchema, env);
}

/** The gateway as a runnable service: the origin router, nothing else (no state, nothing to start). */
export function buildGateway(config: GatewayConfig, logger: Logger): RunnableService {
  const targets = {
    ingress: config.INGRESS_URL,
    order: config.ORDER_URL,
    fulfillment: config.FULFILLMENT_URL,
    notification: config.NOTIFICATION_URL,
    dispatch: config.DISPATCH_URL,
    console: config.CONSOLE_URL,
  };
  const router = originRouter({ targets: () => targets, logger, trustForwarded: config.TRUST_FORWARDED, timeoutMs: config.GATEWAY_TIMEOUT });
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res) => router(req, res));
  return {
    app,
    async start() {
      logger.info({ targets }, 'gateway routing the one origin');
    },
    async stop() {
      router.close();
    },
  };
}
