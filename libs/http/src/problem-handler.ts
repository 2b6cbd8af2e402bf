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

/** What the body parsers' errors carry: http-errors fields, and zlib's code for a bad compressed body. */
interface BodyParserError {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
  code?: unknown;
  limit?: number;
}

function toProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  if (typeof err !== 'object' || err === null) return undefined;
  const parserError = err as BodyParserError;
  const make = typeof parserError.type === 'string' ? BODY_PARSER_PROBLEMS[parserError.type] : undefined;
  if (make) return make(parserError);
  // A body whose Content-Encoding (gzip, deflate, br) does not decode: the parser marks zlib's
  // error (code Z_DATA_ERROR, ERR__ERROR_FORMAT_… for brotli) a client error (400, exposable)
  // without a type. Its message is zlib's, so it is not passed on.
  if (typeof parserError.code === 'string' && /^(Z_|ERR__ERROR_)/.test(parserError.code) && parserError.status === 400 && parserError.expose === true) {
    return new HttpProblem(400, { detail: 'The request body could not be decoded as its Content-Encoding says' });
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
