import { HttpProblem, onceStarted, rawBody } from '@orderflow/http';
import type { Express, Request, RequestHandler, Response } from 'express';
import { verifyStripe } from '../domain/stripe.verifier';
import { PayloadError, quarantineReason, SignatureError, type VerifiedEvent } from '../domain/verified-event';
import type { WixVerifier } from '../domain/wix.verifier';
import type { IngressMetrics, Outcome } from '../metrics';
import type { IntakeResult } from '../use-cases/intake-result';
import type { WebhookIntake } from '../use-cases/receive-webhook';
import type { RefusalLimiter } from './rate-limit';

export interface WebhookRouteDeps {
  metrics: IngressMetrics;
  /** Undefined until the service has started (then the routes answer 503). */
  intake: () => WebhookIntake | undefined;
  stripeSecrets: readonly string[];
  /** Undefined when WIX_PUBLIC_KEY is not configured: the Wix route is not mounted. */
  wix: () => WixVerifier | undefined;
  wixEnabled: boolean;
  stripeDeadlineMs: number;
  wixDeadlineMs: number;
  /** Counts refused webhooks per client; over its limit a client's refusals are answered 429. */
  refusals?: RefusalLimiter;
  /** Told of every signature failure (for the on-call alert). */
  onSignatureFailure?: (source: Source, reason: string) => void;
}

type Source = VerifiedEvent['source'];

/** Statuses other than the handler's own answers, as the metrics name them. */
function outcomeOf(status: number): Outcome {
  if (status === 401) return 'invalid_signature';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'error';
  return 'bad_request';
}

/** Counts and times every delivery, whatever answered it (verifier, body parser, rate limiter). */
function observe(source: Source, metrics: IngressMetrics): RequestHandler {
  return (_req, res, next) => {
    const stop = metrics.duration.startTimer({ source });
    res.once('finish', () => {
      const outcome = (res.locals.outcome as Outcome | undefined) ?? outcomeOf(res.statusCode);
      const type = (res.locals.eventType as string | undefined) ?? 'unknown';
      metrics.requests.inc({ source, type, outcome });
      stop({ outcome });
    });
    next();
  };
}

function answer(res: Response, event: VerifiedEvent, result: IntakeResult): void {
  if (result.outcome === 'unavailable') {
    // Retry-After: a provider retries on its own schedule, but a client that honours it gets
    // a broker restart's worth of time.
    throw new HttpProblem(503, { detail: 'The event could not be made durable; retry later', headers: { 'retry-after': '5' } });
  }
  res.locals.outcome = result.outcome;
  const eventId = 'eventId' in result ? result.eventId : event.eventId;
  res.status(200).json({ received: true, eventId, outcome: result.outcome, ...(result.outcome === 'quarantined' ? { reason: result.reason } : {}) });
}

export function webhookRoutes(deps: WebhookRouteDeps): (app: Express) => void {
  const refuse = async (source: Source, req: Request, err: unknown): Promise<never> => {
    if (!(err instanceof SignatureError || err instanceof PayloadError)) throw err;
    if (err instanceof SignatureError) {
      deps.metrics.signatureFailures.inc({ source });
      deps.onSignatureFailure?.(source, err.reason);
    }
    const limited = await deps.refusals?.refused(req);
    if (limited) {
      throw new HttpProblem(429, { detail: 'Too many refused requests from this client', headers: { 'retry-after': String(limited.retryAfterS) } });
    }
    if (err instanceof SignatureError) {
      req.log.warn({ source, reason: err.reason }, 'webhook signature rejected');
      throw new HttpProblem(401, { detail: 'Invalid or missing signature' });
    }
    req.log.warn({ source, reason: err.message }, 'verified webhook with an unexpected body');
    throw new HttpProblem(400, { detail: err.message });
  };

  const intake = async (req: Request, res: Response, event: VerifiedEvent, deadlineMs: number): Promise<void> => {
    const problem = quarantineReason(event);
    // An unbounded type is no metric label: a quarantined event's type is counted as its reason.
    res.locals.eventType = problem ? 'quarantined' : event.type;
    const service = onceStarted(deps.intake)();
    let result: IntakeResult;
    try {
      result = problem
        ? await service.quarantine(event, req.rawBody ?? Buffer.alloc(0), problem, req.requestId, req.log.child({ source: event.source }))
        : await service.accept(event, req.requestId, deadlineMs, req.log.child({ eventId: event.eventId, source: event.source }));
    } catch (err) {
      // The event log (or another dependency) failed: the provider must retry, the input was fine.
      req.log.error({ err, eventId: event.eventId }, 'webhook intake failed');
      throw new HttpProblem(503, { detail: 'Temporarily unavailable; retry later', headers: { 'retry-after': '5' } });
    }
    answer(res, event, result);
  };

  return (app) => {
    app.post('/api/webhooks/stripe', observe('stripe', deps.metrics), rawBody({ types: ['application/json'] }), async (req, res) => {
      let event: VerifiedEvent;
      try {
        event = verifyStripe(req.rawBody ?? Buffer.alloc(0), req.get('stripe-signature'), deps.stripeSecrets);
      } catch (err) {
        return refuse('stripe', req, err);
      }
      await intake(req, res, event, deps.stripeDeadlineMs);
    });

    if (!deps.wixEnabled) return;
    // Wix posts the JWT as text/plain; the other types are accepted for tools that label it.
    const wixTypes = ['text/plain', 'application/jwt', 'application/json', 'application/octet-stream'];
    app.post('/api/webhooks/wix', observe('wix', deps.metrics), rawBody({ types: wixTypes }), async (req, res) => {
      const verifier = onceStarted(deps.wix)();
      let event: VerifiedEvent;
      try {
        event = await verifier.verify((req.rawBody ?? Buffer.alloc(0)).toString('utf8'));
      } catch (err) {
        return refuse('wix', req, err);
      }
      await intake(req, res, event, deps.wixDeadlineMs);
    });
  };
}
