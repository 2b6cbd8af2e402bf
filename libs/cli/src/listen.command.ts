import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from './cli-error';
import type { CliIo } from './cli-io';
import { deliveryBody, deliveryLine, DeliveryReceiver } from './delivery-receiver';
import { DispatchClient, type CreatedSubscription } from './dispatch.client';
import type { ListenArgs } from './listen.args';
import { apiKey, SecretSources } from './secret-sources';

async function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${port} on ${host} is in use: choose another with --port`);
    throw new CliError(`cannot listen on ${host}:${port}: ${code ?? (err as Error).message}`);
  }
  return server.address() as AddressInfo;
}

/** The URL dispatch should deliver to: a wildcard address is reached on loopback. */
function endpointUrl(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`;
}

async function close(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Dispatch keeps connections alive between deliveries; they must not hold the stop up.
  server.closeAllConnections();
  await closed;
}

/**
 * `orderflow listen`: a local partner endpoint that prints what it receives, until `io.stop`.
 * With `--subscribe` it registers itself with outbound-dispatch first and deletes that
 * subscription again when stopping (unless `--keep`), so trying it leaves nothing behind.
 */
export async function runListen(args: ListenArgs, io: CliIo): Promise<number> {
  const sources = SecretSources.of(io.env, io.cwd, args.dataDir);
  let dispatch: DispatchClient | null = null;
  if (args.subscribe) {
    const key = apiKey(args.apiKey, sources);
    if (!key) throw new CliError(`no API key for outbound-dispatch: pass --api-key, set API_KEYS, or point --data-dir at the data directory of \`npm start\` (looked in ${sources.file})`, 2);
    dispatch = new DispatchClient(args.dispatchUrl, key);
  }

  const receiver = new DeliveryReceiver(args.secret ?? null, (delivery) => {
    io.out(deliveryLine(delivery));
    if (args.verbose) io.out(deliveryBody(delivery));
  });
  const server = createServer(receiver.handle);
  const address = await listenOn(server, args.port, args.host);
  const url = endpointUrl(address);

  let subscription: CreatedSubscription | null = null;
  if (dispatch) {
    try {
      subscription = await dispatch.subscribe({ url, eventTypes: args.events, description: `orderflow listen on ${url}` });
    } catch (err) {
      await close(server);
      throw err;
    }
    receiver.useSecret(subscription.secret);
    io.out(`Subscribed ${subscription.id} to ${subscription.eventTypes.join(', ')} at ${args.dispatchUrl}`);
    io.out(`  signing secret ${subscription.secret}`);
  }
  io.out(`Listening on ${url} for Orderflow deliveries. Ctrl-C stops.`);

  if (!io.stop.aborted) await once(io.stop, 'abort');
  await close(server);
  if (!subscription || !dispatch) return 0;
  if (args.keep) {
    io.out(`Kept subscription ${subscription.id}; delete it with DELETE ${args.dispatchUrl}/external/webhooks/${subscription.id}`);
    return 0;
  }
  try {
    await dispatch.unsubscribe(subscription.id);
  } catch (err) {
    io.err(`orderflow: subscription ${subscription.id} is left behind: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  io.out(`Deleted subscription ${subscription.id}`);
  return 0;
}
