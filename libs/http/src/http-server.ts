import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface HttpServerOptions {
  port: number;
  host: string;
  /**
   * How long `close()` lets requests in flight finish before cutting their connections.
   * Default 10 s: longer than any publish deadline, shorter than Kubernetes' 30 s grace period.
   */
  drainTimeoutMs?: number;
  /**
   * A client has this long to send a request's headers (default 10 s) and its whole body (default
   * 30 s) before it is answered 408 and its connection closed: a slow sender holds a connection
   * (a socket, a parser, a slot behind the proxy) seconds at most, not Node's 60 s and 5 minutes.
   * Webhook senders and API clients send a request at once; 30 s covers the 1 MB body limit on
   * a slow link.
   */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface HttpServer {
  readonly server: Server;
  /** `http://host:port` as bound (port 0 resolved). */
  readonly url: string;
  /**
   * Stops accepting connections, closes idle keep-alive connections, lets requests in flight
   * be answered (their connections close after the answer), and resolves once all are done.
   */
  close(): Promise<void>;
}

/** Listens with `app` and gives back a handle whose `close()` drains instead of cutting. */
export async function startHttpServer(app: Express | RequestListener, options: HttpServerOptions): Promise<HttpServer> {
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      // How often Node looks for requests past those limits; its default of 30 s would let a
      // slow sender stay up to 30 s past them.
      connectionsCheckingInterval: Math.min(1_000, options.headersTimeoutMs ?? 1_000),
    },
    app,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 10_000);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // A keep-alive connection between requests would hold close() open until it timed out.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
