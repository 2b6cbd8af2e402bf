/**
 * The `Stripe-Signature` header for `body` (`t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "{t}.{body}">`), computed by Stripe's own SDK so it is exactly what the ingress's
 * `constructEvent` expects. The SDK is loaded only here: it takes a few hundred milliseconds,
 * which `listen` and `trigger wix` need not pay.
 */
export async function stripeSignature(body: string, secret: string, timestampSeconds: number): Promise<string> {
  const { default: Stripe } = await import('stripe');
  return Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: timestampSeconds });
}
