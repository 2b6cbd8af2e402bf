export { buildNotificationService, NOTIFICATION_GROUP, NOTIFICATION_READS, type NotificationService, type NotificationServiceDeps } from './notification.service';
export { loadNotificationConfig, notificationConfigSchema, type NotificationConfig } from './config';
