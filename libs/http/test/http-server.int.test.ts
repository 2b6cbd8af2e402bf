import { connect, type Socket } from 'node:net';
import express from 'express';
import { waitFor } from '@orderflow/testing';
import { startHttpServer, type HttpServer } from '../src/index';

describe('startHttpServer', () => {
  let http: HttpServer;

  beforeAll(async () => {
    const app = express();
    app.post('/echo', express.raw({ type: () => true }), (req, res) => res.send(`got ${(req.body as Buffer).length} bytes`));
    http = await startHttpServer(app, { port: 0, host: '127.0.0.1', headersTimeoutMs: 300, requestTimeoutMs: 600 });
  });
  afterAll(() => http.close());

  /** A raw connection that records what the server sent and whether it closed. */
  async function rawClient(): Promise<{ socket: Socket; answer: () => string; closed: () => boolean }> {
    const { port } = new URL(http.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    let closed = false;
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    return { socket, answer: () => received, closed: () => closed };
  }

  it('answers 408 and closes a connection whose headers do not arrive in time', async () => {
    const client = await rawClient();
    client.socket.write('POST /echo HTTP/1.1\r\nHost: example\r\nContent-Type: application/json\r\n');
    await waitFor(() => client.closed(), { timeoutMs: 5_000, description: 'the slow client disconnected' });
    expect(client.answer()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers 408 and closes a connection whose body does not arrive in time', async () => {
    const client = await rawClient();
    client.socket.write('POST /echo HTTP/1.1\r\nHost: example\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"partial":');
    await waitFor(() => client.closed(), { timeoutMs: 5_000, description: 'the slow client disconnected' });
    expect(client.answer()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('serves a request sent at once', async () => {
    const res = await fetch(`${http.url}/echo`, { method: 'POST', body: 'x'.repeat(1000) });
    expect(await res.text()).toBe('got 1000 bytes');
  });
});
