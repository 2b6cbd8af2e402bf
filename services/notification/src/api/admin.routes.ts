import { adminAuth, HttpProblem, onceStarted } from '@orderflow/http';
import type { Express } from 'express';
import { z } from 'zod';
import { CHANNELS } from '../adapters/channel';
import { SummaryUnavailableError, type DailySummary } from '../use-cases/daily-summary';
import type { Notification, PrismaClient } from '../generated/prisma/client';

const isoDate = z.iso.date({ message: 'must be a date, YYYY-MM-DD' });
export const notificationsQuery = z.object({
  status: z.enum(['PENDING', 'SENT', 'FAILED']).optional(),
  channel: z.enum(CHANNELS).optional(),
  orderId: z.string().min(1).optional(),
  kind: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const dateQuery = z.object({ date: isoDate });

export interface AdminRouteDeps {
  token: string;
  prisma: () => PrismaClient | undefined;
  summary: DailySummary;
  /** After a resend made a notification due. */
  due: () => void;
}

function view(n: Notification) {
  return {
    id: String(n.id),
    channel: n.channel,
    recipient: n.recipient,
    kind: n.kind,
    status: n.status,
    attempts: n.attempts,
    resends: n.resends,
    lastError: n.lastError,
    eventId: n.eventId,
    eventType: n.eventType,
    orderId: n.orderId,
    nextAttemptAt: n.nextAttemptAt.toISOString(),
    createdAt: n.createdAt.toISOString(),
    updatedAt: n.updatedAt.toISOString(),
    sentAt: n.sentAt?.toISOString() ?? null,
  };
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new HttpProblem(400, { detail: z.prettifyError(result.error) });
  return result.data;
}

/** Support's API (bearer ADMIN_TOKEN): the notification log, resends, webhook activity and its summary. */
export function adminRoutes(deps: AdminRouteDeps): (app: Express) => void {
  const prisma = onceStarted(deps.prisma);
  return (app) => {
    app.use('/admin', adminAuth(deps.token));

    /** Newest first. FAILED ones are what someone has to look at. */
    app.get('/admin/notifications', async (req, res) => {
      const { limit, ...where } = parse(notificationsQuery, req.query);
      const rows = await prisma().notification.findMany({ where, orderBy: { id: 'desc' }, take: limit });
      res.json({ items: rows.map(view) });
    });

    app.get('/admin/notifications/:id', async (req, res) => {
      const id = parse(z.string().regex(/^\d{1,18}$/, { message: 'must be a notification ID' }), req.params.id);
      const row = await prisma().notification.findUnique({ where: { id: BigInt(id) } });
      if (!row) throw new HttpProblem(404, { detail: `No notification ${id}` });
      res.json({ ...view(row), message: row.message });
    });

    /**
     * Sends a FAILED notification again with a fresh attempt budget, or a SENT one once more (the
     * customer says it never arrived). A PENDING one is already on its way: 409.
     */
    app.post('/admin/notifications/:id/resend', async (req, res) => {
      const id = parse(z.string().regex(/^\d{1,18}$/, { message: 'must be a notification ID' }), req.params.id);
      const updated = await prisma().notification.updateMany({
        where: { id: BigInt(id), status: { in: ['FAILED', 'SENT'] } },
        data: { status: 'PENDING', attempts: 0, resends: { increment: 1 }, nextAttemptAt: new Date(), lastError: null, sentAt: null, updatedAt: new Date() },
      });
      if (updated.count === 0) {
        const row = await prisma().notification.findUnique({ where: { id: BigInt(id) }, select: { status: true } });
        throw row ? new HttpProblem(409, { detail: `The notification is ${row.status}; it is already being sent` }) : new HttpProblem(404, { detail: `No notification ${id}` });
      }
      deps.due();
      res.status(202).json({ id, status: 'PENDING' });
    });

    /** What the day's summary reports (or will), by source and type. */
    app.get('/admin/activity', async (req, res) => {
      const { date } = parse(dateQuery, req.query);
      prisma();
      res.json(await deps.summary.report(date));
    });

    /** The date's summary now: 202 when written, 200 with the existing one: there is one per date. */
    app.post('/admin/summary', async (req, res) => {
      const { date } = parse(dateQuery, req.query);
      prisma();
      try {
        const { id, created } = await deps.summary.request(date);
        res.status(created ? 202 : 200).json({ id, date, created });
      } catch (err) {
        if (err instanceof SummaryUnavailableError) throw new HttpProblem(409, { detail: err.message });
        throw err;
      }
    });
  };
}
