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
  const { url, urls } = machine;
  process.stdout.write(
    [
      '',
      `Orderflow is running at ${url}`,
      `  Console           ${url}/console/  (sign in with ADMIN_TOKEN from the secrets file)`,
      `  API reference     ${url}/console/#/api  (the documents: ${url}/openapi.json)`,
      `  Stripe webhooks   POST ${url}/api/webhooks/stripe`,
      `  Wix webhooks      POST ${url}/api/webhooks/wix`,
      `  Checkout, orders  ${url}/api/checkout, ${url}/external/orders  (API key)`,
      `  Partner webhooks  ${url}/external/webhooks  (API key)`,
      `  Admin API         ${url}/admin/...  (bearer ADMIN_TOKEN)`,
      `  Customer orders   ${url}/account  (linked from customer mails)`,
      `  Health            ${url}/healthz, ${url}/readyz, ${url}/metrics  (bearer METRICS_TOKEN)`,
      `  Each service      ${(Object.keys(urls) as Array<keyof typeof urls>).map((name) => `${name} ${urls[name]}`).join(', ')}`,
      `  Kafka             ${machine.brokers.join(',')}  (${machine.brokerNote})`,
      `  Data              ${machine.dataDir}  (secrets: ${machine.secretsFile})`,
      `Try it: npx orderflow trigger stripe payment_intent.succeeded --url ${url}   (npx orderflow --help)`,
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
