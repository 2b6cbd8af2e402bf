import { runServiceProcess } from '@orderflow/http';
import { loadDispatchConfig } from './config';
import { buildDispatchService } from './outbound-dispatch.service';

void runServiceProcess({ name: 'outbound-dispatch', loadConfig: () => loadDispatchConfig(), build: (config, logger) => buildDispatchService(config, { logger }) });
