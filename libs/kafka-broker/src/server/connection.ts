import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnyApi, RequestContext } from '../apis/api';
import { API_VERSIONS_KEY } from '../apis/api-versions';
import type { BrokerContext } from '../broker-context';
import type { InjectedFault } from '../faults';
import { ErrorCode } from '../protocol/error-codes';
import { ProtocolDecodeError, Reader } from '../protocol/reader';
import { decode, encode, isFlexible } from '../protocol/schema';
import { Writer } from '../protocol/writer';

/** Requests read ahead of the one being handled before the socket stops being read. */
const MAX_QUEUED_REQUESTS = 64;
/** Pipelined requests whose responses may be outstanding before the connection waits for them. */
const MAX_PIPELINED = 32;
/** apiKey + apiVersion + correlationId: the least a request header can be. */
const MIN_HEADER_BYTES = 8;

export interface ApiLookup {
  get(key: number): AnyApi | undefined;
}

/**
 * One client connection. Requests are handled strictly one after another and
 * answered in the order they arrived, as Kafka does (it mutes a channel while a
 * request is in flight); clients rely on that ordering. Reading runs ahead of
 * handling up to MAX_QUEUED_REQUESTS frames, then pauses the socket.
 */
export class Connection {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly queue: Buffer[] = [];
  private pumping = false;
  private outbox: Promise<void> = Promise.resolve();
  private pipelined = 0;
  private closedResolve!: () => void;
  readonly closed: Promise<void>;
  private isClosed = false;
  /** Set on bad input: nothing more is read or handled, and the connection closes once earlier responses are out. */
  private rejected = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly broker: BrokerContext,
    private readonly apis: ApiLookup,
  ) {
    this.closed = new Promise((resolve) => (this.closedResolve = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => broker.logger.debug({ connection: id, err: err.message }, 'connection error'));
    socket.on('close', () => this.markClosed());
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  close(): void {
    this.socket.destroy();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.queue.length = 0;
    this.closedResolve();
  }

  /**
   * Stops reading from a client that sent something unanswerable and closes
   * the connection once the responses to its earlier requests (acks=all
   * produces still waiting for their fsync) have gone out, as Kafka would.
   */
  private reject(reason: string, detail: object): void {
    this.broker.metrics.connectionsRejected.inc({ reason });
    this.broker.logger.warn({ connection: this.id, remote: this.remoteAddress, reason, ...detail }, 'closing connection');
    this.rejected = true;
    this.queue.length = 0;
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.pause();
    void this.outbox.then(() => this.close());
  }

  private onData(chunk: Buffer): void {
    this.broker.metrics.bytesIn.inc(chunk.length);
    if (this.rejected) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= 4 && !this.rejected) {
      if (this.pending[0]!.length < 4) this.pending = [Buffer.concat(this.pending)];
      const size = this.pending[0]!.readInt32BE(0);
      if (size < MIN_HEADER_BYTES || size > this.broker.settings.maxRequestBytes) {
        this.reject(size < MIN_HEADER_BYTES ? 'malformed' : 'oversized', { size });
        return;
      }
      // Concatenate only once the whole frame is here: a 1 MB produce arriving
      // in 64 KB reads is copied once, not sixteen times.
      if (this.pendingBytes < 4 + size) break;
      const head = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      this.queue.push(head.subarray(4, 4 + size));
      const rest = head.subarray(4 + size);
      this.pending = rest.length ? [rest] : [];
      this.pendingBytes = rest.length;
    }
    if (this.queue.length >= MAX_QUEUED_REQUESTS) this.socket.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length && !this.isClosed && !this.rejected) {
        const frame = this.queue.shift()!;
        if (this.queue.length < MAX_QUEUED_REQUESTS / 2) this.socket.resume();
        // Before anything that can answer or close: a silent broker does neither,
        // not even for requests it would refuse without a handler.
        if (this.broker.faults.silent) await this.broker.faults.whileSilent();
        let started;
        try {
          started = this.start(frame);
        } catch (err) {
          // start() runs decoding synchronously; a throw escaping pump() would be an unhandled rejection, which ends the process.
          this.fail(err);
          break;
        }
        // Responses leave in request order, whatever order their handlers finish in.
        const written = (this.outbox = this.outbox
          .then(() => started.response)
          .then((out) => (out ? this.send(out) : undefined))
          .catch((err: unknown) => this.fail(err)));
        if (!started.pipelined || ++this.pipelined > MAX_PIPELINED) {
          await written;
          this.pipelined = 0;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** A bug in one request must cost that client its connection, never the broker. */
  private fail(err: unknown): void {
    this.broker.metrics.requestErrors.inc({ api: 'unknown' });
    this.broker.logger.error({ connection: this.id, err: (err as Error).stack ?? String(err) }, 'request failed');
    this.close();
  }

  /**
   * Decodes a frame and starts its handler, synchronously up to the handler's
   * first await. Pipelined APIs (Produce) do their ordering-sensitive work
   * (the append) in that synchronous part, so the next request may start while
   * this one waits for its fsync: concurrent acks=all writes on one connection
   * then share fsyncs instead of queueing behind each other.
   */
  private start(frame: Buffer): { pipelined: boolean; response: Promise<Outgoing | null> } {
    const none = { pipelined: false, response: Promise.resolve(null) };
    const started = process.hrtime.bigint();
    const r = new Reader(frame);
    const apiKey = r.int16();
    const version = r.int16();
    const correlationId = r.int32();
    const api = this.apis.get(apiKey);
    if (!api) {
      this.reject('unknown_api', { apiKey, version });
      return none;
    }
    const { metrics, faults } = this.broker;
    const supported = version >= api.minVersion && version <= api.maxVersion;
    // The version is the client's to choose; as a label value it would let any client create series without bound.
    metrics.requests.inc({ api: api.name, version: supported ? String(version) : 'unsupported' });
    if (!supported) {
      if (apiKey === API_VERSIONS_KEY) {
        // KIP-511: answer in v0 so the client learns which versions to retry with.
        const body = api.errorResponse({}, 0, ErrorCode.UNSUPPORTED_VERSION);
        return { pipelined: false, response: Promise.resolve({ correlationId, flexibleHeader: false, api, body, version: 0, started }) };
      }
      this.reject('unsupported_version', { api: api.name, version });
      return none;
    }
    let request: unknown;
    let clientId: string | null;
    try {
      clientId = r.nullableString();
      if (isFlexible(api.request, version)) r.skipTaggedFields();
      request = decode(api.request, r, version);
    } catch (err) {
      if (!(err instanceof ProtocolDecodeError)) throw err;
      metrics.requestErrors.inc({ api: api.name });
      this.reject('malformed', { api: api.name, version, error: err.message });
      return none;
    }
    const fault = faults.take(api.key);
    // ApiVersions answers with response header v0 even when flexible (KIP-511).
    const flexibleHeader = apiKey !== API_VERSIONS_KEY && isFlexible(api.response, version);
    const response = this.run(api, request, version, clientId, fault).then((body) =>
      body === NO_RESPONSE || this.isClosed ? null : { correlationId, flexibleHeader, api, body, version, started },
    );
    return { pipelined: api.pipelined === true && fault === null, response };
  }

  private async run(api: AnyApi, request: unknown, version: number, clientId: string | null, fault: InjectedFault | null): Promise<unknown> {
    const { logger, metrics } = this.broker;
    if (fault && fault.delayMs > 0) await sleep(fault.delayMs);
    if (fault && fault.errorCode !== null) {
      return api.expectsNoResponse?.(request) ? NO_RESPONSE : api.errorResponse(request, version, fault.errorCode);
    }
    const ctx: RequestContext = {
      broker: this.broker,
      clientId,
      connectionId: this.id,
      remoteAddress: this.remoteAddress,
      closed: this.closed,
    };
    try {
      const response = await api.handle(request, version, ctx);
      if (fault?.dropResponse) {
        this.close();
        return NO_RESPONSE;
      }
      return api.expectsNoResponse?.(request) ? NO_RESPONSE : response;
    } catch (err) {
      metrics.requestErrors.inc({ api: api.name });
      logger.error({ api: api.name, version, err: (err as Error).stack ?? String(err) }, 'request handler failed');
      return api.expectsNoResponse?.(request) ? NO_RESPONSE : api.errorResponse(request, version, ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }

  private async send(out: Outgoing): Promise<void> {
    const { correlationId, flexibleHeader, api, body, version } = out;
    const w = new Writer();
    w.int32(0); // size, filled in below
    w.int32(correlationId);
    if (flexibleHeader) w.emptyTaggedFields();
    encode(api.response, w, body as object, version);
    const chunks = w.toChunks();
    const first = chunks[0]!;
    const total = w.length;
    first.writeInt32BE(total - 4, 0);
    this.broker.metrics.bytesOut.inc(total);
    if (this.isClosed) return;
    this.socket.cork();
    let ok = true;
    for (const c of chunks) ok = this.socket.write(c);
    this.socket.uncork();
    this.broker.metrics.requestDuration.observe({ api: api.name }, Number(process.hrtime.bigint() - out.started) / 1e9);
    if (!ok && !this.isClosed) {
      await Promise.race([new Promise((resolve) => this.socket.once('drain', resolve)), this.closed]);
    }
  }
}

const NO_RESPONSE = Symbol('no response');

interface Outgoing {
  readonly correlationId: number;
  readonly flexibleHeader: boolean;
  readonly api: AnyApi;
  readonly body: unknown;
  readonly version: number;
  /** When the request was read, for the duration metric. */
  readonly started: bigint;
}
