import { runServiceProcess } from '@orderflow/http';
import { loadIngressConfig } from './config';
import { buildIngress } from './ingress';

void runServiceProcess({ name: 'ingress', loadConfig: () => loadIngressConfig(), build: (config, logger) => buildIngress(config, { logger }) });
