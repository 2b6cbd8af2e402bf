import { HttpProblem, rawJson } from '@orderflow/http';
import type { Express, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { AttemptLimiter } from './attempt-limiter';
import { sameSecret, type Session, type SessionStore } from './session-store';

export const SESSION_COOKIE = 'orderflow_console_session';
/** The cookie is sent to the console's pages and API only. */
const COOKIE_PATH = '/console';
const CSRF_HEADER = 'x-csrf-token';
const signInBody = z.object({ token: z.string().min(1).max(1_000) });

export interface SessionDeps {
  adminToken: string;
  store: SessionStore;
  limiter: AttemptLimiter;
  ttlMs: number;
  secureCookies: boolean;
}

/** The session of a request that passed `requireSession`. */
export function sessionOf(res: Response): Session {
  return res.locals.session as Session;
}

export function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * A request from another site carries its own Origin; one from our pages carries ours, or none
 * (some same-origin requests omit it). SameSite=Strict already keeps the cookie off cross-site
 * requests, and JSON bodies need a CORS preflight we never grant: this is the third wall.
 */
function fromOurOrigin(req: Request): boolean {
  const origin = req.get('origin');
  if (!origin) return req.get('sec-fetch-site') === undefined || ['same-origin', 'none'].includes(req.get('sec-fetch-site')!);
  try {
    return new URL(origin).host === req.host;
  } catch {
    return false;
  }
}

/**
 * Staff sign in with ADMIN_TOKEN and get an HttpOnly, SameSite=Strict session cookie; the token
 * itself is never stored in the browser. State-changing requests must echo the session's CSRF
 * token (synchronizer pattern) and come from our origin. Failed sign-ins are limited per client
 * address.
 */
export function sessionGuard(deps: SessionDeps) {
  const requireSession: RequestHandler = (req, res, next) => {
    const session = deps.store.touch(cookieValue(req, SESSION_COOKIE));
    if (!session) {
      next(new HttpProblem(401, { title: 'Signed out', detail: 'Sign in with the admin token first' }));
      return;
    }
    res.locals.session = session;
    next();
  };

  const requireCsrf: RequestHandler = (req, res, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return next();
    const given = req.get(CSRF_HEADER);
    if (!fromOurOrigin(req) || !given || !sameSecret(given, sessionOf(res).csrfToken)) {
      next(new HttpProblem(403, { title: 'CSRF check failed', detail: `State-changing requests need the session's ${CSRF_HEADER} header, from the console's own pages` }));
      return;
    }
    next();
  };

  const routes = (app: Express) => {
    app.post('/console/api/session', rawJson({ limit: '4kb' }), (req, res) => {
      if (!fromOurOrigin(req)) throw new HttpProblem(403, { detail: 'Sign in from the console’s own page' });
      const client = req.ip ?? 'unknown';
      const wait = deps.limiter.blockedFor(client);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        throw new HttpProblem(429, { detail: `Too many failed sign-ins; try again in ${seconds} s`, headers: { 'retry-after': String(seconds) } });
      }
      const body = signInBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: 'Send {"token": "<admin token>"}' });
      if (!sameSecret(body.data.token, deps.adminToken)) {
        deps.limiter.fail(client);
        req.log.warn({ client }, 'console sign-in refused: wrong admin token');
        throw new HttpProblem(401, { title: 'Wrong token', detail: 'That is not the admin token' });
      }
      deps.limiter.succeed(client);
      // A new ID on every sign-in: a session ID planted before sign-in is worth nothing after.
      deps.store.end(cookieValue(req, SESSION_COOKIE));
      const { id, session } = deps.store.create();
      res.cookie(SESSION_COOKIE, id, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure || deps.secureCookies,
        path: COOKIE_PATH,
        maxAge: deps.ttlMs,
      });
      req.log.info({ client }, 'console sign-in');
      res.status(201).json({ signedIn: true, csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString() });
    });

    app.get('/console/api/session', requireSession, (_req, res) => {
      const session = sessionOf(res);
      res.json({ signedIn: true, csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString() });
    });

    app.delete('/console/api/session', requireSession, requireCsrf, (req, res) => {
      deps.store.end(cookieValue(req, SESSION_COOKIE));
      res.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: req.secure || deps.secureCookies });
      res.status(204).end();
    });
  };

  return { routes, requireSession, requireCsrf };
}
