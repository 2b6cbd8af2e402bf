import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { waitFor } from '@orderflow/testing';
import { BreakerOpenError, BreakerTimeoutError, createBreaker, type BreakerState } from '../src/index';

/** A partner API on loopback whose behaviour the test switches. */
class Partner {
  mode: 'ok' | 'down' | 'bad-request' | 'hang' = 'ok';
  hits = 0;
  private server: Server = createServer((_req, res) => {
    this.hits++;
    if (this.mode === 'hang') return; // answered never; closed in stop()
    const status = { ok: 200, down: 503, 'bad-request': 400 }[this.mode];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

class PartnerError extends Error {
  constructor(readonly status: number) {
    super(`partner answered ${status}`);
  }
}

/** What the outbound dispatcher would do: POST and throw on a non-2xx answer. */
function sendTo(partner: Partner) {
  return async (eventId: string): Promise<{ status: number }> => {
    const res = await fetch(partner.url, { method: 'POST', body: JSON.stringify({ eventId }) });
    if (!res.ok) throw new PartnerError(res.status);
    return (await res.json()) as { status: number };
  };
}

async function metric(registry: Registry, name: string, breaker: string): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((value) => value.labels.breaker === breaker)?.value ?? 0;
}

describe('createBreaker', () => {
  const partner = new Partner();
  beforeAll(() => partner.start());
  afterAll(() => partner.stop());
  beforeEach(() => {
    partner.mode = 'ok';
  });

  it('opens on failures, sheds calls, half-opens after the reset timeout and closes on recovery', async () => {
    const registry = new Registry();
    const breaker = createBreaker('partner-a', sendTo(partner), { volumeThreshold: 2, resetTimeoutMs: 100 }, registry);
    const transitions: BreakerState[] = [];
    breaker.onStateChange((state) => transitions.push(state));
    const gauge = () => metric(registry, 'circuit_breaker_state', 'partner-a');

    await expect(breaker.fire('evt-1')).resolves.toEqual({ status: 200 });
    expect(await gauge()).toBe(0);

    partner.mode = 'down';
    await expect(breaker.fire('evt-2')).rejects.toThrow(PartnerError);
    await expect(breaker.fire('evt-3')).rejects.toThrow(PartnerError);
    expect(breaker.state).toBe('open');
    expect(await gauge()).toBe(2);

    const hitsWhenOpened = partner.hits;
    const shed = await breaker.fire('evt-4').catch((err: unknown) => err);
    expect(shed).toBeInstanceOf(BreakerOpenError);
    expect((shed as BreakerOpenError).retriable).toBe(true);
    expect(partner.hits).toBe(hitsWhenOpened);

    await waitFor(async () => (await gauge()) === 1, { description: 'the breaker to half-open' });
    expect(breaker.state).toBe('half-open');

    partner.mode = 'ok';
    await expect(breaker.fire('evt-5')).resolves.toEqual({ status: 200 });
    expect(breaker.state).toBe('closed');
    expect(await gauge()).toBe(0);
    expect(transitions).toEqual(['open', 'half-open', 'closed']);

    expect(await metric(registry, 'circuit_breaker_successes_total', 'partner-a')).toBe(2);
    expect(await metric(registry, 'circuit_breaker_failures_total', 'partner-a')).toBe(2);
    expect(await metric(registry, 'circuit_breaker_rejections_total', 'partner-a')).toBe(1);
    breaker.shutdown();
  });

  it('re-opens when the trial call in half-open fails', async () => {
    const registry = new Registry();
    const breaker = createBreaker('partner-b', sendTo(partner), { volumeThreshold: 1, resetTimeoutMs: 50 }, registry);
    partner.mode = 'down';
    await expect(breaker.fire('evt-1')).rejects.toThrow(PartnerError);
    await waitFor(() => breaker.state === 'half-open');
    await expect(breaker.fire('evt-2')).rejects.toThrow(PartnerError);
    expect(breaker.state).toBe('open');
    expect(await metric(registry, 'circuit_breaker_state', 'partner-b')).toBe(2);
    breaker.shutdown();
  });

  it('does not count errors excluded by isFailure, yet passes them to the caller', async () => {
    const registry = new Registry();
    const breaker = createBreaker(
      'partner-c',
      sendTo(partner),
      { volumeThreshold: 1, isFailure: (err) => !(err instanceof PartnerError && err.status < 500) },
      registry,
    );
    partner.mode = 'bad-request';
    for (let i = 0; i < 5; i++) await expect(breaker.fire(`evt-${i}`)).rejects.toMatchObject({ status: 400 });
    expect(breaker.state).toBe('closed');
    expect(await metric(registry, 'circuit_breaker_failures_total', 'partner-c')).toBe(0);
    expect(await metric(registry, 'circuit_breaker_successes_total', 'partner-c')).toBe(0);
    expect(await metric(registry, 'circuit_breaker_excluded_errors_total', 'partner-c')).toBe(5);
    breaker.shutdown();
  });

  it('times out a hung call as a counted failure', async () => {
    const registry = new Registry();
    const breaker = createBreaker('partner-d', sendTo(partner), { timeoutMs: 50, volumeThreshold: 10 }, registry);
    partner.mode = 'hang';
    const err = await breaker.fire('evt-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BreakerTimeoutError);
    expect(err).toMatchObject({ timeoutMs: 50, retriable: true });
    expect(await metric(registry, 'circuit_breaker_timeouts_total', 'partner-d')).toBe(1);
    expect(await metric(registry, 'circuit_breaker_failures_total', 'partner-d')).toBe(1);
    breaker.shutdown();
  });

  it('answers from the fallback when open and counts it', async () => {
    const registry = new Registry();
    const breaker = createBreaker(
      'partner-e',
      sendTo(partner),
      { volumeThreshold: 1, resetTimeoutMs: 60_000, fallback: () => ({ status: 0 }) },
      registry,
    );
    partner.mode = 'down';
    await expect(breaker.fire('evt-1')).resolves.toEqual({ status: 0 });
    expect(breaker.state).toBe('open');
    await expect(breaker.fire('evt-2')).resolves.toEqual({ status: 0 });
    expect(await metric(registry, 'circuit_breaker_fallbacks_total', 'partner-e')).toBe(2);
    expect(await metric(registry, 'circuit_breaker_rejections_total', 'partner-e')).toBe(1);
    breaker.shutdown();
  });

  it('labels breakers sharing a registry by name', async () => {
    const registry = new Registry();
    const one = createBreaker('one', async () => 1, {}, registry);
    const two = createBreaker('two', async () => 2, {}, registry);
    await one.fire();
    await two.fire();
    await two.fire();
    expect(await metric(registry, 'circuit_breaker_successes_total', 'one')).toBe(1);
    expect(await metric(registry, 'circuit_breaker_successes_total', 'two')).toBe(2);
    one.shutdown();
    two.shutdown();
  });
});
