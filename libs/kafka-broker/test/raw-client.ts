import { connect, type Socket } from 'node:net';
import { produceApi } from '../src/apis/produce';
import { Reader } from '../src/protocol/reader';
import { decode, encode, type MessageSchema } from '../src/protocol/schema';
import { Writer } from '../src/protocol/writer';

/**
 * A Kafka connection without a client library, for sending what no real
 * client would (bad sizes, unknown APIs, corrupt batches) and for timing
 * single requests without a client's retries and long polls in the way.
 */
export class RawConnection {
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private wake: (() => void) | null = null;
  private nextCorrelationId = 1;
  private closedFlag = false;
  /** Resolves when the socket has closed, whichever side closed it. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closedFlag = true;
        this.wake?.();
        resolve();
      }),
    );
    // Writes racing the broker's close fail with EPIPE or ECONNRESET; the close is what tests look at.
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static open(broker: { host: string; port: number }): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: broker.host, port: broker.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  write(bytes: Buffer): void {
    if (!this.closedFlag) this.socket.write(bytes);
  }

  /** Sends one request (header v1) and returns its correlation ID. */
  send(apiKey: number, version: number, body: Buffer): number {
    const correlationId = this.nextCorrelationId++;
    this.write(requestFrame(apiKey, version, correlationId, body));
    return correlationId;
  }

  /** The next response frame without its size prefix, or null when the connection closes first. */
  async nextFrame(): Promise<Buffer | null> {
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return frame;
      if (this.closedFlag) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** Sends a request and returns the response body after a v0 header, or null if the broker hung up. */
  async request(apiKey: number, version: number, body: Buffer): Promise<Buffer | null> {
    const correlationId = this.send(apiKey, version, body);
    const frame = await this.nextFrame();
    if (frame === null) return null;
    const got = frame.readInt32BE(0);
    if (got !== correlationId) throw new Error(`response for correlation ID ${got}, expected ${correlationId}`);
    return frame.subarray(4);
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
      const size = this.buffered.readInt32BE(0);
      this.frames.push(this.buffered.subarray(4, 4 + size));
      this.buffered = this.buffered.subarray(4 + size);
    }
    this.wake?.();
  }
}

/** A size-prefixed request with a v1 header (the non-flexible one every API version up to 8 uses). */
export function requestFrame(apiKey: number, version: number, correlationId: number, body: Buffer, clientId = 'raw-test'): Buffer {
  const w = new Writer().int16(apiKey).int16(version).int32(correlationId).nullableString(clientId).raw(body);
  const payload = Buffer.concat(w.toChunks());
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

/** Encodes a request body with the broker's own schemas, so tests and broker agree on the layout. */
export function encodeBody(schema: MessageSchema, values: object, version: number): Buffer {
  const w = new Writer();
  encode(schema, w, values, version);
  return Buffer.concat(w.toChunks());
}

export function decodeBody<T>(schema: MessageSchema, body: Buffer, version: number): T {
  return decode<T>(schema, new Reader(body), version);
}

interface ProduceResponse {
  responses: Array<{ partitions: Array<{ errorCode: number; baseOffset: number }> }>;
}

/** Produces a record set to partition 0 with Produce v3 (acks=1) and returns that partition's result. */
export async function produceV3(conn: RawConnection, topic: string, records: Buffer): Promise<{ errorCode: number; baseOffset: number }> {
  const request = { transactionalId: null, acks: 1, timeoutMs: 5000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, records }] }] };
  const body = await conn.request(0, 3, encodeBody(produceApi.request, request, 3));
  if (body === null) throw new Error('the broker closed the connection instead of answering Produce');
  return decodeBody<ProduceResponse>(produceApi.response, body, 3).responses[0]!.partitions[0]!;
}
