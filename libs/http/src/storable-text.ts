import type { RequestHandler } from 'express';
import { HttpProblem } from './http-problem';

/** Deeper than any document our APIs or providers send (theirs nest under 10), shallow enough for any recursion. */
export const MAX_JSON_DEPTH = 64;

/** Why a value cannot be stored or handled whole; the codes name the reason for metrics. */
export interface TextProblem {
  code: 'too_deep' | 'invalid_text';
  detail: string;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why Postgres could not hold `text` (text and jsonb hold neither U+0000 nor unpaired surrogates), or null. */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate (not Unicode text), which cannot be stored';
  return null;
}

/**
 * Why a parsed JSON document cannot be stored or handled whole — a string or key Postgres cannot
 * hold, or nesting deeper than `maxDepth` — or null when it is fine. Walked with a stack of its
 * own, never by recursion, so no document can overflow the call stack here, and one that passes
 * is shallow enough for what comes after (JSON.stringify, zod, the database driver).
 */
export function findUnstorable(root: unknown, options: { maxDepth?: number; noun?: string } = {}): TextProblem | null {
  const { maxDepth = MAX_JSON_DEPTH, noun = 'the document' } = options;
  const pending: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string') {
      const why = textProblem(value);
      if (why) return { code: 'invalid_text', detail: `${noun} ${why}` };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return { code: 'too_deep', detail: `${noun} is nested deeper than ${maxDepth} levels` };
    if (Array.isArray(value)) {
      for (const item of value) pending.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const why = textProblem(key);
      if (why) return { code: 'invalid_text', detail: `a key in ${noun} ${why}` };
      pending.push({ value: item, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Refuses (400) a request whose path or query cannot be decoded to text Postgres can hold: a
 * route would otherwise pass `%00` or an encoded lone surrogate on to a query and answer 500.
 */
export function refuseUnstorableUrls(): RequestHandler {
  return (req, _res, next) => {
    let path: string;
    try {
      path = decodeURIComponent(req.path);
    } catch {
      return next(new HttpProblem(400, { detail: 'The path is not valid percent-encoded UTF-8' }));
    }
    const inPath = textProblem(path);
    if (inPath) return next(new HttpProblem(400, { detail: `The path ${inPath}` }));
    const inQuery = findUnstorable(req.query, { maxDepth: 8, noun: 'the query string' });
    if (inQuery) return next(new HttpProblem(400, { detail: inQuery.detail.replace(/^./, (c) => c.toUpperCase()) }));
    next();
  };
}
