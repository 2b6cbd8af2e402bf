import { HttpProblem } from '@orderflow/http';
import type { Express, Request, RequestHandler } from 'express';
import { z } from 'zod';
import { query, segment, type AdminClient } from '../upstream/admin-client';

const listQuery = z.object({
  channel: z.enum(['email', 'discord', 'slack']).optional(),
  cursor: z.string().regex(/^\d{1,18}$/).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const messageId = z.string().regex(/^\d{1,18}$/, { message: 'must be a message ID' });

export interface MailRouteDeps {
  admin: AdminClient;
  guard: RequestHandler[];
}

/**
 * The framed mail: nothing runs (sandbox, no scripts), nothing loads but its own inline images and
 * styles, and only the console itself may frame it.
 */
const MAIL_FRAME_POLICY = ["default-src 'none'", 'img-src data:', "style-src 'unsafe-inline'", 'sandbox', "frame-ancestors 'self'"].join('; ');

function id(req: Request): string {
  const parsed = messageId.safeParse(req.params.id);
  if (!parsed.success) throw new HttpProblem(400, { detail: z.prettifyError(parsed.error) });
  return parsed.data;
}

/**
 * The Mail page (issue 22): in the one-machine mode nothing is mailed or posted, and what would
 * have been — confirmations with their QR codes, refunds, Discord embeds, Slack alerts — is
 * read here, as in Mailpit. The notification service keeps it (KEEP_UNSENT); this passes its
 * mailbox on and frames a mail's HTML under a policy of its own.
 */
export function mailRoutes(deps: MailRouteDeps): (app: Express) => void {
  return (app) => {
    app.get('/console/api/mail', ...deps.guard, async (req, res) => {
      const parsed = listQuery.safeParse(req.query);
      if (!parsed.success) throw new HttpProblem(400, { detail: z.prettifyError(parsed.error) });
      res.json(await deps.admin.get('notification', `/admin/mailbox${query(parsed.data)}`));
    });

    app.get('/console/api/mail/:id', ...deps.guard, async (req, res) => {
      res.json(await deps.admin.get('notification', `/admin/mailbox/${segment(id(req))}`));
    });

    app.get('/console/mail/:id.html', ...deps.guard, async (req, res) => {
      const answer = await deps.admin.raw('notification', `/admin/mailbox/${segment(id(req))}/html`);
      if (answer.status !== 200 || !answer.contentType.startsWith('text/html')) {
        throw new HttpProblem(answer.status === 404 ? 404 : 502, { detail: answer.status === 404 ? 'No such mail' : 'The notification service did not give the mail' });
      }
      res.set({ 'content-security-policy': MAIL_FRAME_POLICY, 'x-frame-options': 'SAMEORIGIN', 'cache-control': 'private, no-store' }).type('html').send(answer.text);
    });
  };
}
