import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '@orderflow/logging';

/**
 * An incoming ID is kept only if it is short and made of safe characters: it ends up in
 * every log line and in a response header, so anything else (a header-injection attempt,
 * a megabyte of text) is replaced with a fresh UUID.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const REQUEST_ID_HEADER = 'x-request-id';

export function requestId(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const id = incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.requestId = id;
    req.log = logger.child({ requestId: id });
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
