import { HttpProblem } from './http-problem';

/**
 * The answer while a service is starting: its HTTP server listens before its database and
 * consumers are ready (so /readyz can say so), and a route reached in that window asks the
 * client to come back in a second.
 */
export function startingUp(): HttpProblem {
  return new HttpProblem(503, { detail: 'Starting up', headers: { 'retry-after': '1' } });
}

/** What a route needs from its service (`get` is undefined until it started), or `startingUp()` thrown. */
export function onceStarted<T>(get: () => T | undefined): () => T {
  return () => {
    const value = get();
    if (!value) throw startingUp();
    return value;
  };
}
