import { randomUUID } from 'node:crypto';
import type { AnyEvent } from '@orderflow/events';
import { startHttpServer, type HttpServer, type RunnableService } from '@orderflow/http';
import { createBus } from '@orderflow/kafka';

export interface Served<S extends RunnableService> {
  service: S;
  http: HttpServer;
  url: string;
  /** As a process stops on SIGTERM: drain HTTP, then stop the service. */
  close(): Promise<void>;
}

/** Starts `service` and serves it on an ephemeral loopback port. */
export async function serveOnLoopback<S extends RunnableService>(service: S): Promise<Served<S>> {
  await service.start();
  const http = await startHttpServer(service.app, { port: 0, host: '127.0.0.1' });
  return {
    service,
    http,
    url: http.url,
    close: async () => {
      await http.close();
      await service.stop();
    },
  };
}

export interface TopicReader {
  /** Every event read so far, with its message key, in the order read. */
  readonly received: ReadonlyArray<{ event: AnyEvent; key: string | null; topic: string; headers: Record<string, string> }>;
  /** The events keyed `key` (an order ID), optionally of one type. */
  of(key: string, type?: string): AnyEvent[];
  typesOf(key: string): string[];
  stop(): Promise<void>;
}

/** Reads `topics` from the beginning with our own consumer runner (so envelopes are validated too). */
export async function readTopics(brokers: string[], topics: string[]): Promise<TopicReader> {
  const bus = createBus({ brokers, clientId: 'test-reader' });
  const received: Array<{ event: AnyEvent; key: string | null; topic: string; headers: Record<string, string> }> = [];
  await bus.runConsumer({
    groupId: `test-reader-${randomUUID()}`,
    topics,
    fromBeginning: true,
    handler: async (event, context) => void received.push({ event, key: context.key?.toString() ?? null, topic: context.topic, headers: context.headers }),
  });
  const of = (key: string, type?: string) => received.filter((r) => r.key === key && (!type || r.event.type === type)).map((r) => r.event);
  return { received, of, typesOf: (key) => of(key).map((e) => e.type), stop: () => bus.close() };
}

/** A service's `/metrics` text, read as Prometheus does: `Authorization: Bearer <token>`. */
export async function scrapeMetrics(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET ${url}/metrics answered ${res.status}`);
  return res.text();
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // Tests read answers loosely; each test asserts the shape it cares about.
  body: Record<string, any>;
}

/** A JSON call: `bearer` as Authorization, `body` as JSON. */
export async function callApi(url: string, path: string, options: { bearer?: string; method?: string; body?: unknown } = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}
export { startSmtpCapture, type CapturedMail, type SmtpCapture } from './smtp-capture';
export { refuseProduces } from './refuse-produces';
export { anyValue, describeRequest, fuzzClient, hostileText, nested, STALL_MS, stallMonitor, type FuzzRequest } from './fuzz';
export { answerDrift, documentedCalls, routeDrift, sharedAdminDrift, validateOpenApi } from './openapi-contract';
export { orderSnapshot } from './order-snapshot';
