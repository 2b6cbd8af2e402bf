import fc from 'fast-check';

/**
 * What fuzz suites send (issue 21): the inputs senders get wrong, and a watch on the event loop.
 * Used by each service's `test/fuzz.int.test.ts`, which drive a running service over HTTP.
 */

/** An event loop blocked longer than this by one request is a finding. */
export const STALL_MS = 200;

/**
 * Text as senders get it wrong: ordinary, any code point, NUL and unpaired surrogates, and
 * lengths around and far past the identifier limits.
 */
export function hostileText(): fc.Arbitrary<string> {
  const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.tuple(fc.string({ maxLength: 5 }), fc.constantFrom('\u0000', '\ud800', '\udfff'), surrogate).map((parts) => parts.join('')),
    fc.constantFrom(254, 255, 256, 400, 10_000, 300_000).map((length) => 'k'.repeat(length)),
  );
}

/**
 * Arrays or objects nested `depth` deep, built without recursion. Up to 1,000: JSON.stringify
 * (the sender's) overflows a Jest worker's stack not far beyond; the ingress refuses anything
 * past 64, and its 10,000-deep regression test builds the body as text.
 */
export function nested(depth: number, asObjects: boolean): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = asObjects ? { a: value } : [value];
  return value;
}

export function anyValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileText() },
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 3 }),
    fc.tuple(fc.integer({ min: 1, max: 1_000 }), fc.boolean()).map(([depth, asObjects]) => nested(depth, asObjects)),
  );
}

/**
 * The event loop's longest pauses, seen by a 10 ms timer, and which request was in flight
 * during each pause over STALL_MS. A gap on a shared machine may be another process's doing:
 * a suite sends each suspect again alone and counts only a stall that comes back every time.
 */
export function stallMonitor<Request>() {
  const tick = 10;
  let last = performance.now();
  /** Since the last recheck began; `longestOfAll` over the whole run. */
  let longest = 0;
  let longestOfAll = 0;
  const inFlight = new Set<Request>();
  const suspects = new Set<Request>();
  const ticked = new Set<() => void>();
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = Math.round(now - last - tick);
    last = now;
    longest = Math.max(longest, gap);
    longestOfAll = Math.max(longestOfAll, gap);
    if (gap > STALL_MS) for (const request of inFlight) suspects.add(request);
    for (const resolve of ticked) resolve();
    ticked.clear();
  }, tick);
  timer.unref();
  return {
    begin(request: Request): Request {
      inFlight.add(request);
      return request;
    },
    end(request: Request): void {
      inFlight.delete(request);
    },
    longest: () => longestOfAll,
    suspects: () => [...suspects],
    /**
     * The suspects whose stall comes back: each is sent again alone, three times, and kept
     * (described, with its gaps) only if every time blocked the loop over STALL_MS.
     */
    async reproduced(send: (request: Request) => Promise<unknown>, describe: (request: Request) => string): Promise<string[]> {
      const found: string[] = [];
      for (const suspect of [...suspects]) {
        const gaps: number[] = [];
        for (let i = 0; i < 3; i += 1) {
          longest = 0;
          await send(suspect).catch(() => undefined);
          await new Promise<void>((resolve) => ticked.add(resolve));
          gaps.push(longest);
        }
        if (gaps.every((gap) => gap > STALL_MS)) found.push(`${describe(suspect)}: ${gaps.join(', ')} ms`);
      }
      return found;
    },
    stop: () => clearInterval(timer),
  };
}

/** A made-up HTTP request. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? '' : typeof request.body === 'string' ? request.body : Buffer.from(request.body).toString('latin1');
  return `${request.method} ${request.path.slice(0, 200)} ${JSON.stringify(request.headers)} body(${body.length}) ${JSON.stringify(body.slice(0, 300))}`;
}

/**
 * Sends made-up requests to a running service for a fuzz suite: each timed by a stall monitor,
 * tallied by `method route status`, and held to the rule every fuzz suite asserts — below 500,
 * and a problem document when refused (bar Node's own 431, which no route sees). `report()`
 * prints the tallies and the longest event-loop gap, for CI's log and the closing note.
 */
export function fuzzClient(name: string, baseUrl: () => string, routeOf: (request: FuzzRequest) => string = (request) => request.path.replace(/\?.*/, '')) {
  const monitor = stallMonitor<FuzzRequest>();
  const tallies = new Map<string, number>();
  const send = async (request: FuzzRequest): Promise<{ status: number; body: string }> => {
    monitor.begin(request);
    try {
      const res = await fetch(`${baseUrl()}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
      return { status: res.status, body: await res.text() };
    } finally {
      monitor.end(request);
    }
  };
  return {
    monitor,
    send,
    /**
     * Sends `request` and throws what the rule above refuses; the answer for further checks.
     * `detail` adds to its tally (the ingress's outcome, say).
     */
    async handled(request: FuzzRequest, detail?: (answer: { status: number; body: string }) => string): Promise<{ status: number; body: string }> {
      const answer = await send(request);
      const extra = detail?.(answer);
      const key = `${request.method} ${routeOf(request)} ${answer.status}${extra ? ` ${extra}` : ''}`;
      tallies.set(key, (tallies.get(key) ?? 0) + 1);
      if (answer.status >= 500) throw new Error(`${answer.status} for ${describeRequest(request)}: ${answer.body.slice(0, 300)}`);
      if (answer.status >= 400 && answer.status !== 431 && !answer.body.startsWith('{"type"')) throw new Error(`${answer.status} without a problem document for ${describeRequest(request)}`);
      return answer;
    },
    /** Requests that stalled the event loop over STALL_MS each of three times they were sent again alone. */
    reproducedStalls: () => monitor.reproduced((suspect) => send({ ...suspect, headers: { ...suspect.headers } }), describeRequest),
    report(): void {
      monitor.stop();
      process.stdout.write(`${name} fuzz: ${[...tallies].sort().map(([k, v]) => `${k} ${v}`).join(', ')}; longest event-loop gap ${monitor.longest()} ms\n`);
    },
  };
}
