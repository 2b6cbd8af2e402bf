import { runServiceProcess } from '@orderflow/http';
import { loadConsoleConfig } from './config';
import { buildConsole } from './console-service';

void runServiceProcess({ name: 'console', loadConfig: () => loadConsoleConfig(), build: (config, logger) => buildConsole(config, { logger }) });
