import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { HttpProblem } from './http-problem';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Client errors raised by express's body parsers (http-errors with a `type`), mapped to problems. */
const BODY_PARSER_PROBLEMS: Record<string, (err: { limit?: number }) => HttpProblem> = {
  'entity.parse.failed': () => new HttpProblem(400, { title: 'Malformed JSON', detail: 'The request body is not valid JSON' }),
  'entity.too.large': (err) =>
    new HttpProblem(413, { detail: err.limit ? `The request body exceeds ${err.limit} bytes` : undefined }),
  'entity.verify.failed': () => new HttpProblem(400),
  'request.aborted': () => new HttpProblem(400, { detail: 'The request body was not received completely' }),
  'request.size.invalid': () => new HttpProblem(400, { detail: 'The request body does not match Content-Length' }),
  'encoding.unsupported': () => new HttpProblem(415, { detail: 'Unsupported Content-Encoding' }),
  'charset.unsupported': () => new HttpProblem(415, { detail: 'Unsupported charset' }),
  'parameters.too.many': () => new HttpProblem(413),
};

function toProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  if (typeof err === 'object' && err !== null && 'type' in err && typeof err.type === 'string') {
    const make = BODY_PARSER_PROBLEMS[err.type];
    if (make) return make(err as { limit?: number });
  }
  return undefined;
}

function send(req: Request, res: Response, problem: HttpProblem): void {
  res
    .status(problem.status)
    .set(problem.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(
      JSON.stringify({
        ...problem.extensions,
        type: problem.type,
        title: problem.title,
        status: problem.status,
        ...(problem.detail === undefined ? {} : { detail: problem.detail }),
        instance: req.originalUrl,
        requestId: req.requestId,
      }),
    );
}

/**
 * The app's one error handler: every error becomes an RFC 9457 problem document. Known
 * client errors keep their status and detail; anything else is logged with the request ID
 * and answered with a bare 500, so no message or stack reaches the client.
 */
export function problemHandler(): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late for a problem document; express's default handler closes the connection.
      req.log.error({ err }, 'error after the response started');
      next(err);
      return;
    }
    const problem = toProblem(err);
    if (problem && problem.status < 500) {
      req.log.info({ status: problem.status, detail: problem.detail }, 'request refused');
      send(req, res, problem);
      return;
    }
    if (problem) {
      // A deliberate 5xx (e.g. 503 while Kafka is down) keeps its detail and headers.
      req.log.warn({ err, status: problem.status }, 'request failed');
      send(req, res, problem);
      return;
    }
    req.log.error({ err }, 'unhandled error');
    send(req, res, new HttpProblem(500, { title: STATUS_CODES[500] }));
  };
}

/** The last route: anything unmatched is a 404 problem. */
export function notFound(): RequestHandler {
  return (req, _res, next) => next(new HttpProblem(404, { detail: `No route for ${req.method} ${req.path}` }));
}
