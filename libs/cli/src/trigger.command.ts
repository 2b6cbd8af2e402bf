import { randomUUID } from 'node:crypto';
import { CliError } from './cli-error';
import type { CliIo } from './cli-io';
import { describeAnswer, send, type Answer } from './http-answer';
import { newOrderId } from './ids';
import { decimalAmount, type OrderFacts } from './order-facts';
import { defaultInstance, SecretSources, stripeSecret, wixPrivateKey } from './secret-sources';
import { buildStripeEvent } from './stripe.payloads';
import { stripeSignature } from './stripe.signature';
import type { TriggerArgs } from './trigger.args';
import { signWixWebhook, WixKeyError, wixSigningKey } from './wix.jwt';
import { buildWixWebhook } from './wix.payloads';

/** Stripe gives an endpoint about 10 s to answer; so does this. */
const TIMEOUT_MS = 10_000;

/** A webhook ready to send, with what to tell the user about it. */
interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  eventId: string;
  details: string[];
}

type StripeArgs = Extract<TriggerArgs, { provider: 'stripe' }>;
type WixArgs = Extract<TriggerArgs, { provider: 'wix' }>;

async function stripeRequest(args: StripeArgs, facts: OrderFacts, sources: SecretSources): Promise<SignedRequest> {
  const secret = stripeSecret(args.secret, sources);
  if (!secret) {
    throw new CliError(`no Stripe webhook secret: pass --secret whsec_..., set STRIPE_WEBHOOK_SECRET, or point --data-dir at the data directory of \`npm start\` (looked in ${sources.file})`, 2);
  }
  const event = buildStripeEvent({ ...facts, type: args.type, eventId: args.eventId, paymentIntentId: args.paymentIntentId, refundedCents: args.refundedCents });
  // Stripe sends its events pretty-printed; the signature covers these exact bytes.
  const body = JSON.stringify(event, null, 2);
  const object = event.data.object;
  const paymentIntent = object.object === 'payment_intent' ? object.id : (object.payment_intent as string | null);
  return {
    url: args.url,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'stripe-signature': await stripeSignature(body, secret.value, event.created),
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
    body,
    eventId: event.id,
    details: [`${object.object} ${object.id}${paymentIntent && paymentIntent !== object.id ? `, PaymentIntent ${paymentIntent}` : ''}`, `signed with ${secret.from}`],
  };
}

function wixRequest(args: WixArgs, facts: OrderFacts & { instanceId: string }, sources: SecretSources, cwd: string): SignedRequest {
  const pem = wixPrivateKey(args.key, sources, cwd);
  if (!pem) {
    throw new CliError(`no Wix private key: pass --key <PEM file>, set WIX_PRIVATE_KEY, or point --data-dir at the data directory of \`npm start\` (looked in ${sources.file})`, 2);
  }
  let key;
  try {
    key = wixSigningKey(pem.value);
  } catch (err) {
    if (err instanceof WixKeyError) throw new CliError(`${err.message} (${pem.from})`, 2);
    throw err;
  }
  const webhook = buildWixWebhook({ ...facts, type: args.type, eventId: args.eventId });
  return {
    url: args.url,
    // Wix posts the JWT as plain text.
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: signWixWebhook(webhook, key),
    eventId: webhook.event.id,
    details: [`Wix order number ${String(webhook.order.number)}`, `signed (RS256) with ${pem.from}`],
  };
}

/** The request as it would go over the wire, for `--print`. */
function httpMessage(request: SignedRequest): string {
  const url = new URL(request.url);
  const headers = { host: url.host, ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
  const lines = Object.entries(headers).map(([name, value]) => `${name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase())}: ${value}`);
  return `POST ${url.pathname}${url.search} HTTP/1.1\n${lines.join('\n')}\n\n${request.body}`;
}

/** Why the ingress said no, when the status says more than its body. */
function hintFor(args: TriggerArgs, answer: Answer): string | null {
  if (answer.status === 401 && args.provider === 'stripe') return 'The signature was refused: sign with the secret the ingress verifies with (--secret, STRIPE_WEBHOOK_SECRET, or --data-dir for its secrets.json).';
  if (answer.status === 401) return 'The JWT was refused: sign with the private key matching the ingress\'s WIX_PUBLIC_KEY (--key, WIX_PRIVATE_KEY, or --data-dir for its secrets.json).';
  if (answer.status === 404 && args.provider === 'wix') return 'No Wix route there: the ingress mounts /api/webhooks/wix only when WIX_PUBLIC_KEY is set (npm start sets it), or --url is not the ingress.';
  if (answer.status === 404) return 'No webhook route there: is --url the ingress?';
  if (answer.status === 429 || answer.status === 503) return `Retry later${answer.headers.get('retry-after') ? ` (Retry-After: ${answer.headers.get('retry-after')} s)` : ''}; the provider would.`;
  return null;
}

/** `orderflow trigger`: builds, signs and sends one webhook; 0 when the ingress answered 2xx. */
export async function runTrigger(args: TriggerArgs, io: CliIo): Promise<number> {
  const sources = SecretSources.of(io.env, io.cwd, args.dataDir);
  const base = { amountCents: args.amountCents, currency: args.currency, email: args.email, items: args.items };
  const instance = args.instanceId ?? defaultInstance(sources);
  let facts: OrderFacts;
  let request: SignedRequest;
  if (args.provider === 'stripe') {
    facts = { ...base, orderId: args.orderId ?? newOrderId(), instanceId: instance };
    request = await stripeRequest(args, facts, sources);
  } else {
    // A Wix order ID is a GUID, and Wix always names the site's instance.
    const wixFacts = { ...base, orderId: args.orderId ?? randomUUID(), instanceId: instance ?? randomUUID() };
    facts = wixFacts;
    request = wixRequest(args, wixFacts, sources, io.cwd);
  }

  if (args.print) {
    io.out(httpMessage(request));
    return 0;
  }
  io.out(`${args.type} ${request.eventId} → POST ${request.url}`);
  io.out(`  order ${facts.orderId}, ${decimalAmount(facts.amountCents)} ${facts.currency.toUpperCase()}, ${facts.email}, ${facts.instanceId ? `instance ${facts.instanceId}` : 'no instance'}`);
  for (const line of request.details) io.out(`  ${line}`);

  const answer = await send(request.url, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
    timeoutMs: TIMEOUT_MS,
    what: 'the ingress',
    hint: 'Is Orderflow running (npm start)? Another address: --url.',
  });
  if (answer.status >= 200 && answer.status < 300) {
    io.out(describeAnswer(answer, { compact: true }));
    return 0;
  }
  io.err(describeAnswer(answer));
  const hint = hintFor(args, answer);
  io.err(`orderflow: the ingress did not accept the webhook (${answer.status}).${hint ? ` ${hint}` : ''}`);
  return 1;
}
