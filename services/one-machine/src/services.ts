import type { Env } from '@orderflow/config';
import type { RunnableService } from '@orderflow/http';
import type { Logger } from '@orderflow/logging';

/** The services that run on their own thread in the one-machine mode (the console runs beside the broker). */
export type BackendName = 'ingress' | 'order' | 'fulfillment' | 'notification' | 'dispatch';

export const BACKENDS: readonly BackendName[] = ['ingress', 'order', 'fulfillment', 'notification', 'dispatch'];

/** The name each service logs under. */
export const LOG_NAME: Record<BackendName, string> = { ingress: 'ingress', order: 'order', fulfillment: 'fulfillment', notification: 'notification', dispatch: 'outbound-dispatch' };

/**
 * Reads a service's configuration from `env` (a `ConfigError` names the variable) and returns
 * how to build it. Called for every service before any starts, then by each service's thread,
 * which loads only its own service's modules.
 */
export async function configOf(name: BackendName, env: Env): Promise<{ build(logger: Logger): RunnableService }> {
  switch (name) {
    case 'ingress': {
      const { buildIngress, loadIngressConfig } = await import('@orderflow/ingress');
      const config = loadIngressConfig(env);
      return { build: (logger) => buildIngress(config, { logger }) };
    }
    case 'order': {
      const { buildOrderService, loadOrderConfig } = await import('@orderflow/order');
      const config = loadOrderConfig(env);
      return { build: (logger) => buildOrderService(config, { logger }) };
    }
    case 'fulfillment': {
      const { buildFulfillmentService, loadFulfillmentConfig } = await import('@orderflow/fulfillment');
      const config = loadFulfillmentConfig(env);
      return { build: (logger) => buildFulfillmentService(config, { logger }) };
    }
    case 'notification': {
      const { buildNotificationService, loadNotificationConfig } = await import('@orderflow/notification');
      const config = loadNotificationConfig(env);
      return { build: (logger) => buildNotificationService(config, { logger }) };
    }
    case 'dispatch': {
      const { buildDispatchService, loadDispatchConfig } = await import('@orderflow/outbound-dispatch');
      const config = loadDispatchConfig(env);
      return { build: (logger) => buildDispatchService(config, { logger }) };
    }
  }
}
