import { openApiDocument, type ApiOperation } from '@orderflow/http';
import { z } from 'zod';
import { CHANNELS } from '../adapters/channel';
import { dateQuery, notificationsQuery } from './admin.routes';
import { mailboxQuery } from './mailbox.routes';

const iso = z.iso.datetime({ offset: true });
const idParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });

/** One notification in the log, as the admin API shows it. */
export const notificationSchema = z.object({
  id: z.string(),
  channel: z.enum(CHANNELS),
  recipient: z.string(),
  kind: z.string(),
  status: z.enum(['PENDING', 'SENT', 'FAILED']),
  attempts: z.number().int(),
  resends: z.number().int(),
  lastError: z.string().nullable(),
  eventId: z.string(),
  eventType: z.string(),
  orderId: z.string().nullable(),
  nextAttemptAt: iso,
  createdAt: iso,
  updatedAt: iso,
  sentAt: iso.nullable(),
});

const activityRow = z.object({ source: z.string(), received: z.number().int(), retried: z.number().int(), failed: z.number().int() });
export const activitySchema = z.object({
  date: z.iso.date(),
  sources: z.array(activityRow),
  types: z.array(activityRow.extend({ type: z.string() })),
  totals: activityRow.omit({ source: true }),
});

/** A kept message in the mailbox list. */
export const keptSchema = z.object({
  id: z.string(),
  channel: z.enum(CHANNELS),
  recipient: z.string(),
  /** A mail's subject, an embed's title, an alert's text. */
  headline: z.string(),
  kind: z.string(),
  orderId: z.string().nullable(),
  createdAt: iso,
  sentAt: iso.nullable(),
});

/** A kept mail whole; a Discord or Slack message as it would have been posted. */
export const keptMessageSchema = z.union([
  keptSchema.extend({
    from: z.string(),
    subject: z.string(),
    text: z.string(),
    html: z.string(),
    attachments: z.array(z.object({ cid: z.string(), filename: z.string(), contentType: z.literal('image/png') })),
  }),
  keptSchema.extend({ message: z.record(z.string(), z.unknown()) }),
]);

/** Support's routes (bearer ADMIN_TOKEN): the notification log, resends, the daily summary, and the mailbox of what was kept. */
export const NOTIFICATION_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/admin/notifications',
    operationId: 'listNotifications',
    tag: 'Notifications',
    security: 'adminToken',
    summary: 'The notification log, newest first',
    query: notificationsQuery,
    responses: { 200: { description: 'The notifications', schema: z.object({ items: z.array(notificationSchema) }) } },
    problems: [400],
  },
  {
    method: 'get',
    path: '/admin/notifications/:id',
    operationId: 'getNotification',
    tag: 'Notifications',
    security: 'adminToken',
    summary: 'One notification, with the message it sends',
    params: idParams,
    responses: { 200: { description: 'The notification', schema: notificationSchema.extend({ message: z.unknown() }) } },
    problems: [400, 404],
  },
  {
    method: 'post',
    path: '/admin/notifications/:id/resend',
    operationId: 'resendNotification',
    tag: 'Notifications',
    security: 'adminToken',
    summary: 'Sends a FAILED or SENT notification again, with a fresh attempt budget',
    params: idParams,
    responses: { 202: { description: 'Due again', schema: z.object({ id: z.string(), status: z.literal('PENDING') }) } },
    problems: [400, 404, 409],
  },
  {
    method: 'get',
    path: '/admin/activity',
    operationId: 'getActivity',
    tag: 'Summary',
    security: 'adminToken',
    summary: 'A day’s webhook activity by source and type, as its summary reports it',
    query: dateQuery,
    responses: { 200: { description: 'The activity', schema: activitySchema } },
    problems: [400],
  },
  {
    method: 'post',
    path: '/admin/summary',
    operationId: 'requestSummary',
    tag: 'Summary',
    security: 'adminToken',
    summary: 'The date’s summary now: one per date',
    query: dateQuery,
    responses: {
      202: { description: 'Written now', schema: z.object({ id: z.string(), date: z.iso.date(), created: z.literal(true) }) },
      200: { description: 'There already is one', schema: z.object({ id: z.string(), date: z.iso.date(), created: z.literal(false) }) },
    },
    problems: [400, 409],
  },
  {
    method: 'get',
    path: '/admin/mailbox',
    operationId: 'listMailbox',
    tag: 'Mailbox',
    security: 'adminToken',
    summary: 'What kept channels would have sent (KEEP_UNSENT), newest first',
    description: 'A 404 when every channel sends for real or KEEP_UNSENT is off.',
    query: mailboxQuery,
    responses: { 200: { description: 'A page; `nextCursor` fetches the next', schema: z.object({ channels: z.array(z.enum(CHANNELS)), items: z.array(keptSchema), nextCursor: z.string().nullable() }) } },
    problems: [400, 404],
  },
  {
    method: 'get',
    path: '/admin/mailbox/:id',
    operationId: 'getKeptMessage',
    tag: 'Mailbox',
    security: 'adminToken',
    summary: 'A kept mail whole (HTML, text, its QR codes), or a Discord or Slack message',
    params: idParams,
    responses: { 200: { description: 'The message', schema: keptMessageSchema } },
    problems: [404],
  },
  {
    method: 'get',
    path: '/admin/mailbox/:id/html',
    operationId: 'getKeptMailHtml',
    tag: 'Mailbox',
    security: 'adminToken',
    summary: 'A kept mail’s HTML as a mail client shows it, its QR codes inline',
    params: idParams,
    responses: { 200: { description: 'The HTML', schema: z.string(), contentType: 'text/html' } },
    problems: [404],
  },
  {
    method: 'get',
    path: '/admin/mailbox/:id/attachments/:cid',
    operationId: 'getKeptMailAttachment',
    tag: 'Mailbox',
    security: 'adminToken',
    summary: 'A kept mail’s inline QR code, as a PNG',
    params: idParams.extend({ cid: z.string() }),
    responses: { 200: { description: 'The image', contentType: 'image/png' } },
    problems: [404],
  },
];

export function notificationApiDocument(): Record<string, unknown> {
  return openApiDocument({
    title: 'Orderflow notification service',
    version: '1',
    description: 'Support’s view of what Orderflow mails and posts: the notification log, resends, the daily summary, and the mailbox of what was kept unsent.',
    operations: NOTIFICATION_OPERATIONS,
  });
}
