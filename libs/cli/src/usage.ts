export const MAIN_USAGE = `orderflow: try Orderflow on your machine: send signed provider webhooks, receive partner deliveries.

Usage:
  orderflow trigger stripe <event> [options]   send a signed Stripe webhook to the ingress
  orderflow trigger wix <event> [options]      send a signed Wix webhook (a JWT) to the ingress
  orderflow listen [options]                   print the signed partner deliveries it receives
  orderflow <command> --help                   a command's options

With Orderflow started by \`npm start\`, every command finds the secrets it needs in
./data/secrets.json (or --data-dir, or $DATA_DIR).`;

export const TRIGGER_USAGE = `Usage: orderflow trigger stripe <event> [options]
       orderflow trigger wix <event> [options]

Builds a realistic provider event for an order, signs it as the provider does, sends it to the
ingress and prints the answer. Exit code 0 when the ingress answers 2xx, 1 when it does not (or
cannot be reached), 2 for a usage error.

Stripe events:
  checkout.session.completed     the customer paid through Checkout (a new order is created)
  checkout.session.expired       the Checkout Session expired unpaid
  payment_intent.succeeded       the payment succeeded (a new order is created)
  payment_intent.payment_failed  the card was declined (for an order Orderflow knows)
  charge.refunded                the payment was refunded (--refunded for part of it)
  charge.dispute.created         the customer disputed the payment
Wix events (the wix.ecom.v1. prefix may be left out):
  order_created  order_paid  order_approved  order_updated  order_canceled  order_fulfilled

Options:
  --order ID           the order (default: a new one). Pass it again to send that order's next event
  --amount CENTS       in the currency's smallest unit: 1500 is 15.00 (default 2000, or the sum of --items)
  --currency CODE      ISO 4217 (default usd)
  --email ADDRESS      the customer's (default jenny.rosen@example.com)
  --instance ID        the shop the order belongs to (default: the instance of the first API key in
                       $API_KEYS or the secrets file, which \`orderflow listen --subscribe\` listens for)
  --items JSON         the order's lines, e.g. '[{"productId":"concert","quantity":2,
                       "unitAmountCents":2500,"kind":"ticket","capacityKey":"concert-2026"}]'
                       (kind: ticket, license or external; default one external line)
  --event-id ID        the provider's event ID (default: a new one); send one twice to see it deduplicated
  --url URL            the ingress (default http://127.0.0.1:3000, npm start's origin);
                       /api/webhooks/<provider> is added unless the URL has a path
  --data-dir DIR       where \`npm start\` keeps secrets.json (default $DATA_DIR, else ./data)
  --print              print the signed request instead of sending it
  --help               this text
Stripe only:
  --secret WHSEC       the webhook signing secret (default $STRIPE_WEBHOOK_SECRET, else the secrets file)
  --payment-intent ID  the PaymentIntent (default: derived from the order ID, the same for all its events)
  --refunded CENTS     charge.refunded: the amount refunded (default: all of it)
Wix only:
  --key FILE|PEM       the Wix app's RSA private key (default $WIX_PRIVATE_KEY, else the secrets file)

Examples:
  orderflow trigger stripe payment_intent.succeeded
  orderflow trigger stripe charge.refunded --order ord_1234 --refunded 500
  orderflow trigger wix order_paid --amount 4999 --currency eur --print`;

export const LISTEN_USAGE = `Usage: orderflow listen [options]

A local partner endpoint: serves http://HOST:PORT/ and prints one line per delivery it receives
(when, whether its Standard Webhooks signature verified, the event type, the webhook-id, the
order). Verified deliveries are answered 204, others 401. Ctrl-C stops.

Options:
  --secret WHSEC       the subscription's signing secret (whsec_...)
  --subscribe          register a subscription for this listener with the outbound-dispatch API
                       and verify with the secret it answers; deleted again when stopping
  --events LIST        with --subscribe: event types, comma-separated (default *; e.g.
                       order.*,fulfillment.completed)
  --keep               with --subscribe: keep the subscription when stopping
  --api-key KEY        with --subscribe: the shop's API key (default: the first of $API_KEYS, else
                       the secrets file)
  --dispatch-url URL   with --subscribe: outbound-dispatch (default http://127.0.0.1:3000,
                       npm start's origin)
  --port PORT          default 4000; 0 for any free port
  --host HOST          default 127.0.0.1
  --verbose            also print each delivery's body
  --data-dir DIR       where \`npm start\` keeps secrets.json (default $DATA_DIR, else ./data)
  --help               this text

Outbound-dispatch delivers only over https to public addresses, except to the hosts listed in
OUTBOUND_ALLOWED_HOSTS; \`npm start\` allows localhost, 127.0.0.1 and ::1 there.

Example:
  orderflow listen --subscribe --events 'order.*'`;
