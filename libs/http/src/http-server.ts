import type { Server } from 'node:http';
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
export async function startHttpServer(app: Express, options: HttpServerOptions): Promise<HttpServer> {
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, options.host, () => resolve(s));
    s.once('error', reject);
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
