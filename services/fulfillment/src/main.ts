import { runServiceProcess } from '@orderflow/http';
import { loadFulfillmentConfig } from './config';
import { buildFulfillmentService } from './fulfillment.service';

void runServiceProcess({ name: 'fulfillment', loadConfig: () => loadFulfillmentConfig(), build: (config, logger) => buildFulfillmentService(config, { logger }) });
