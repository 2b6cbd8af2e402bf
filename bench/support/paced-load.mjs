// An open-loop load generator: requests leave at a steady rate, whatever the server's answers
// are doing, and each latency is measured from the moment its request was due to leave (so a
// server that falls behind is charged for the queue it built, with no coordinated omission).
//
// autocannon's rate mode is closed-loop per connection: each connection sends its share of the
// second back to back as fast as answers return, then idles until the next second. At 1,000/s on
// 50 connections that is 50 requests in flight at the start of every second, so its latencies
// describe a 50-deep burst, not a steady 1,000/s.
import { Agent, request } from 'node:http';

/**
 * `onAnswer`, when given, hears of each answer: the request `next` returned, its status, when it
 * was due and when its answer ended (performance.now() milliseconds), e.g. to time what the
 * server does after answering.
 *
 * @param {{ base: string, rate: number, seconds: number, next: () => { method: string, path: string, headers: Record<string, string>, body: string }, onAnswer?: (request: object, answer: { status: number, dueAt: number, answeredAt: number }) => void }} options
 * @returns {Promise<{ sent: number, ok: number, non2xx: number, errors: number, perSecond: number, p50Ms: number, p99Ms: number, maxMs: number }>}
 */
export async function pacedRun({ base, rate, seconds, next, onAnswer }) {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(rate * seconds);
  const latencies = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let settled = 0;
  const start = performance.now();

  await new Promise((resolve) => {
    const fire = (dueAt) => {
      const sending = next();
      const { method, path, headers, body } = sending;
      const req = request({ host: url.hostname, port: url.port, method, path, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const answeredAt = performance.now();
          latencies.push(answeredAt - dueAt);
          onAnswer?.(sending, { status: res.statusCode, dueAt, answeredAt });
          if (res.statusCode >= 200 && res.statusCode < 300) ok++;
          else non2xx++;
          done();
        });
      });
      req.on('error', () => {
        errors++;
        done();
      });
      req.end(body);
    };
    const done = () => {
      if (++settled === total) resolve();
    };
    const tick = () => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed / 1000) * rate) + 1);
      while (sent < due) fire(start + (sent++ * 1000) / rate);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return { sent, ok, non2xx, errors, perSecond: ok / elapsedS, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}
