import express, { type RequestHandler } from 'express';
import { HttpProblem } from './http-problem';
import { findUnstorable } from './storable-text';

/** The express setting `createHttpApp` stores its `bodyLimit` under, read by these parsers. */
export const BODY_LIMIT_SETTING = 'orderflow body limit';
const FALLBACK_LIMIT = '1mb';

export interface RawBodyOptions {
  /** Accepted media types, as `req.is()` understands them ('application/json', 'text/*'). */
  types: readonly string[];
  /** Overrides the app's `bodyLimit` for this route. */
  limit?: string | number;
}

/**
 * Keeps the request body as the exact bytes received in `req.rawBody`: a webhook signature
 * is over those bytes, and re-serialising parsed JSON would not reproduce them. A body of
 * another media type is refused with 415 before it is read; one over the limit gets 413
 * from the error handler without being buffered whole.
 */
export function rawBody(options: RawBodyOptions): RequestHandler {
  const parsers = new Map<string, RequestHandler>();
  const parserFor = (limit: string | number): RequestHandler => {
    const key = String(limit);
    let parser = parsers.get(key);
    if (!parser) {
      // `type: () => true`: the media type was checked already, read whatever came.
      parser = express.raw({ type: () => true, limit });
      parsers.set(key, parser);
    }
    return parser;
  };

  return (req, res, next) => {
    if (!req.is([...options.types])) {
      next(
        new HttpProblem(415, {
          detail: `Content-Type must be ${options.types.join(' or ')}`,
          headers: { 'accept-post': options.types.join(', ') },
        }),
      );
      return;
    }
    const limit = options.limit ?? (req.app.get(BODY_LIMIT_SETTING) as string | number | undefined) ?? FALLBACK_LIMIT;
    parserFor(limit)(req, res, (err?: unknown) => {
      if (err) return next(err);
      req.rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      // The bytes live in `rawBody` only; `body` is for a parsed value, if any.
      req.body = undefined;
      next();
    });
  };
}

export interface RawJsonOptions {
  limit?: string | number;
  /** Also parse into `req.body` (default true); a route that verifies first may skip it. */
  parse?: boolean;
}

/** `rawBody` for JSON: 415 unless application/json, and `req.body` parsed (400 if malformed). */
export function rawJson(options: RawJsonOptions = {}): RequestHandler {
  const raw = rawBody({ types: ['application/json'], limit: options.limit });
  return (req, res, next) => {
    raw(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (options.parse === false) return next();
      try {
        req.body = JSON.parse((req.rawBody ?? Buffer.alloc(0)).toString('utf8')) as unknown;
      } catch {
        return next(new HttpProblem(400, { title: 'Malformed JSON', detail: 'The request body is not valid JSON' }));
      }
      const unstorable = findUnstorable(req.body);
      if (unstorable) return next(new HttpProblem(400, { detail: `The request body cannot be accepted: ${unstorable.detail}` }));
      next();
    });
  };
}
