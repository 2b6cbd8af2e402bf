import { runServiceProcess } from '@orderflow/http';
import { buildGateway, loadGatewayConfig } from './gateway';

/** `orderflow gateway`: the one origin in front of the services (Compose; see docker-compose.yml). */
void runServiceProcess({ name: 'gateway', loadConfig: () => loadGatewayConfig(), build: (config, logger) => buildGateway(config, logger) });
