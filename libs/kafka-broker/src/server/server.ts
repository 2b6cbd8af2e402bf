import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { BrokerContext } from '../broker-context';
import { Connection, type ApiLookup } from './connection';

/** The TCP listener: accepts clients and tracks their connections for shutdown and fault injection. */
export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private nextId = 1;

  constructor(
    private readonly broker: () => BrokerContext,
    private readonly apis: ApiLookup,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  closeAllConnections(): number {
    const n = this.connections.size;
    for (const c of this.connections) c.close();
    return n;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.closeAllConnections();
    await closed;
  }

  private accept(socket: Socket): void {
    const broker = this.broker();
    const connection = new Connection(this.nextId++, socket, broker, this.apis);
    this.connections.add(connection);
    broker.metrics.connections.inc();
    void connection.closed.then(() => {
      this.connections.delete(connection);
      broker.metrics.connections.dec();
    });
  }
}
