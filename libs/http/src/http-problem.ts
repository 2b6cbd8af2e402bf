import { STATUS_CODES } from 'node:http';

export interface HttpProblemOptions {
  /** A URI naming the problem type; default 'about:blank' (the status says it all). */
  type?: string;
  /** Short, human-readable; defaults to the status's reason phrase. */
  title?: string;
  /** This occurrence, for the client. Never internal details. */
  detail?: string;
  /** Extra members of the problem document (e.g. `errors` for validation failures). */
  extensions?: Record<string, unknown>;
  /** Response headers that belong with the problem, e.g. `retry-after` on 429 or 503. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An error a route throws to answer with an RFC 9457 problem document. Only these (and the
 * body parser's own client errors) reach the client in detail; anything else is a 500.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(status: number, options: HttpProblemOptions = {}) {
    const title = options.title ?? STATUS_CODES[status] ?? 'Error';
    super(options.detail ?? title, { cause: options.cause });
    this.name = 'HttpProblem';
    this.status = status;
    this.type = options.type ?? 'about:blank';
    this.title = title;
    this.detail = options.detail;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}
