#!/usr/bin/env node
// The ceiling for bench/ingress-webhooks.mjs: a bare node:http server that only verifies a
// Stripe signature and answers 200. Runs in its own process, as the ingress does, so neither
// shares a thread with the load generator.
//
//   STRIPE_WEBHOOK_SECRET=whsec_... node bench/support/stripe-ceiling-server.mjs
import { createServer } from 'node:http';
import Stripe from 'stripe';

const secret = process.env.STRIPE_WEBHOOK_SECRET;
if (!secret) throw new Error('STRIPE_WEBHOOK_SECRET is required');
const stripe = new Stripe('sk_test_bench_not_used');

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      stripe.webhooks.constructEvent(Buffer.concat(chunks), req.headers['stripe-signature'], secret, 300);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    } catch {
      res.writeHead(401).end();
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log(`ceiling listening on 127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
