import { runServiceProcess } from '@orderflow/http';
import { loadIngressConfig } from './config';
import { buildIngress } from './ingress.service';

void runServiceProcess({ name: 'ingress', loadConfig: () => loadIngressConfig(), build: (config, logger) => buildIngress(config, { logger }) });
