import { startOneMachine } from './one-machine';

/** `npm start`: every service in this process, a thread each; Ctrl-C stops gracefully and keeps all data. */
async function main(): Promise<void> {
  let machine;
  try {
    machine = await startOneMachine();
  } catch (err) {
    // A ConfigError names the variable and never echoes its value.
    process.stderr.write(`orderflow failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof Error && err.name === 'ConfigError' ? 78 : 1);
  }
  const { urls } = machine;
  process.stdout.write(
    [
      '',
      'Orderflow is running on this machine.',
      `  Stripe webhooks   POST ${urls.ingress}/api/webhooks/stripe`,
      `  Wix webhooks      POST ${urls.ingress}/api/webhooks/wix`,
      `  Checkout, orders  ${urls.order}  (/api/checkout, /external/..., /admin/orders)`,
      `  Fulfillment       ${urls.fulfillment}  (/api/orders/:id/fulfillment, /admin/license-pools)`,
      `  Notifications     ${urls.notification}  (/admin/notifications)`,
      `  Partner webhooks  ${urls.dispatch}  (/external/webhooks)`,
      `  Console           ${urls.console}/console/  (sign in with ADMIN_TOKEN from the secrets file)`,
      `  Customer orders   ${urls.console}/account  (linked from customer mails)`,
      `  Kafka             ${machine.brokers.join(',')}  (${machine.brokerNote})`,
      `  Metrics           <each URL>/metrics  (bearer METRICS_TOKEN from the secrets file)`,
      `  Data              ${machine.dataDir}  (secrets: ${machine.secretsFile})`,
      `Try it: npx orderflow trigger stripe payment_intent.succeeded --url ${urls.ingress}   (npx orderflow --help)`,
      'Ctrl-C stops; starting again keeps every order, event and key.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (requests in flight are answered first)\n`);
    machine.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

void main();
