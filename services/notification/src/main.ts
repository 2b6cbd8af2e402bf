import { runServiceProcess } from '@orderflow/http';
import { loadNotificationConfig } from './config';
import { buildNotificationService } from './notification.service';

void runServiceProcess({ name: 'notification', loadConfig: () => loadNotificationConfig(), build: (config, logger) => buildNotificationService(config, { logger }) });
