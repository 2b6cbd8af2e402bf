import { runServiceProcess } from '@orderflow/http';
import { loadOrderConfig } from './config';
import { buildOrderService } from './order.service';

void runServiceProcess({ name: 'order', loadConfig: () => loadOrderConfig(), build: (config, logger) => buildOrderService(config, { logger }) });
