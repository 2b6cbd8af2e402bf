import { HttpProblem } from '@orderflow/http';
import type { Express } from 'express';
import { z } from 'zod';
import type { ChannelName } from '../adapters/channel';
import { drawQr, qrAttachmentsOf } from '../adapters/email.channel';
import type { Notification, PrismaClient } from '../generated/prisma/client';
import type { EmailMessage } from '../adapters/messages/email-templates';

export interface MailboxDeps {
  prisma: () => PrismaClient;
  /** The channels that keep their messages (KEEP_UNSENT, no destination); empty: no mailbox. */
  channels: readonly ChannelName[];
  /** The From the kept mails would have carried. */
  from: string;
}

const idParam = z.string().regex(/^\d{1,18}$/, { message: 'must be a notification ID' });
export const mailboxQuery = z.object({
  channel: z.enum(['email', 'discord', 'slack']).optional(),
  /** The previous page's last ID. */
  cursor: idParam.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** What a kept message is about, for the list: a mail's subject, an embed's title, an alert's text. */
function headline(n: Notification): string {
  const message = n.message as Record<string, unknown>;
  if (n.channel === 'email') return String((message as unknown as EmailMessage).subject ?? '');
  const embeds = message.embeds as Array<{ title?: string }> | undefined;
  return String(embeds?.[0]?.title ?? message.text ?? '').slice(0, 200);
}

function summary(n: Notification) {
  return { id: String(n.id), channel: n.channel, recipient: n.recipient, headline: headline(n), kind: n.kind, orderId: n.orderId, createdAt: n.createdAt.toISOString(), sentAt: n.sentAt?.toISOString() ?? null };
}

/**
 * The mailbox of the one-machine mode (issue 22): what kept channels would have sent, newest
 * first — mails whole (HTML, text, their QR codes as images) and Discord and Slack messages as
 * they would have been posted. Behind the admin token like the rest of /admin; a 404 when no
 * channel keeps its messages, so a deployment that sends for real shows nothing here.
 */
export function mailboxRoutes(deps: MailboxDeps): (app: Express) => void {
  const kept = async (raw: string): Promise<Notification> => {
    const id = idParam.safeParse(raw);
    const row = id.success ? await deps.prisma().notification.findUnique({ where: { id: BigInt(id.data) } }) : null;
    if (!row || !deps.channels.includes(row.channel as ChannelName)) throw new HttpProblem(404, { detail: `No kept message ${raw}` });
    return row;
  };
  const open = () => {
    if (deps.channels.length === 0) throw new HttpProblem(404, { detail: 'No mailbox: every channel sends for real, or KEEP_UNSENT is off' });
  };

  return (app) => {
    app.get('/admin/mailbox', async (req, res) => {
      open();
      const query = mailboxQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: z.prettifyError(query.error) });
      const { channel, cursor, limit } = query.data;
      const channels = channel ? deps.channels.filter((c) => c === channel) : [...deps.channels];
      const rows = await deps.prisma().notification.findMany({
        where: { channel: { in: channels }, status: 'SENT', ...(cursor ? { id: { lt: BigInt(cursor) } } : {}) },
        orderBy: { id: 'desc' },
        take: limit + 1,
      });
      const items = rows.slice(0, limit);
      res.json({ channels: deps.channels, items: items.map(summary), nextCursor: rows.length > limit ? String(items[items.length - 1]!.id) : null });
    });

    app.get('/admin/mailbox/:id', async (req, res) => {
      open();
      const row = await kept(req.params.id);
      if (row.channel !== 'email') {
        res.json({ ...summary(row), message: row.message });
        return;
      }
      const mail = row.message as unknown as EmailMessage;
      res.json({
        ...summary(row),
        from: deps.from,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        attachments: qrAttachmentsOf(mail).map(({ payload: _payload, ...part }) => part),
      });
    });

    /**
     * A kept mail's HTML as a mail client would show it: its inline QR codes (`cid:`) as data
     * URLs, so the page needs nothing else. For the console's viewer, which frames it sandboxed.
     */
    app.get('/admin/mailbox/:id/html', async (req, res) => {
      open();
      const row = await kept(req.params.id);
      if (row.channel !== 'email') throw new HttpProblem(404, { detail: `Message ${req.params.id} is not a mail` });
      const mail = row.message as unknown as EmailMessage;
      let html = mail.html;
      for (const part of qrAttachmentsOf(mail)) {
        html = html.split(`cid:${part.cid}`).join(`data:image/png;base64,${(await drawQr(part.payload)).toString('base64')}`);
      }
      res.type('html').send(html);
    });

    /** A mail's inline QR code, drawn as the email channel draws it when it sends. */
    app.get('/admin/mailbox/:id/attachments/:cid', async (req, res) => {
      open();
      const row = await kept(req.params.id);
      const qr = row.channel === 'email' ? qrAttachmentsOf(row.message as unknown as EmailMessage).find((part) => part.cid === req.params.cid) : undefined;
      if (!qr) throw new HttpProblem(404, { detail: `No attachment ${req.params.cid}` });
      const png = await drawQr(qr.payload);
      res.type('image/png').set('cache-control', 'private, max-age=3600').send(png);
    });
  };
}
