export { buildNotificationService, NOTIFICATION_GROUP, type NotificationService, type NotificationServiceDeps } from './notification.service';
export { loadNotificationConfig, notificationConfigSchema, type NotificationConfig } from './config';
