// Where an order's time went, read after a run from the order service's admin API (so the run
// itself carries no extra subscriptions or requests): the PAID and FULFILLED transitions' times
// split "accepted → partner" into
//
//   accepted → PAID       the ingress's event reaching the order service and its transaction
//   PAID → FULFILLED      order → fulfillment (job issued) → order, over two topics and two outboxes
//   FULFILLED → partner   order.fulfilled through the outbox, dispatch's intake and the delivery
//
// Transition times are the order service's clock, the others this process's: one machine.

/**
 * Medians and p99s over up to `sample` delivered orders spread evenly over the run.
 * @param {{ orderUrl: string, adminToken: string, orders: Array<{ orderId: string, answeredAt: number, at: number }>, sample?: number }} options
 */
export async function orderStages({ orderUrl, adminToken, orders, sample = 100 }) {
  const step = Math.max(1, Math.floor(orders.length / sample));
  const picked = orders.filter((_, i) => i % step === 0).slice(0, sample);
  const wall = (t) => performance.timeOrigin + t;
  const stages = { acceptedToPaid: [], paidToFulfilled: [], fulfilledToPartner: [] };
  for (const order of picked) {
    const res = await fetch(`${orderUrl}/admin/orders/${encodeURIComponent(order.orderId)}`, { headers: { authorization: `Bearer ${adminToken}` } });
    if (!res.ok) continue;
    const { history } = await res.json();
    const at = (status) => Date.parse(history.find((h) => h.applied && h.toStatus === status)?.at ?? '');
    const paid = at('PAID');
    const fulfilled = at('FULFILLED');
    if (Number.isNaN(paid) || Number.isNaN(fulfilled)) continue;
    stages.acceptedToPaid.push(paid - wall(order.answeredAt));
    stages.paidToFulfilled.push(fulfilled - paid);
    stages.fulfilledToPartner.push(wall(order.at) - fulfilled);
  }
  const summary = (values) => {
    const sorted = values.sort((a, b) => a - b);
    const at = (q) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    return sorted.length ? { p50Ms: at(0.5), p99Ms: at(0.99) } : null;
  };
  return {
    sampled: stages.acceptedToPaid.length,
    acceptedToPaid: summary(stages.acceptedToPaid),
    paidToFulfilled: summary(stages.paidToFulfilled),
    fulfilledToPartner: summary(stages.fulfilledToPartner),
  };
}

/**
 * Each service's consumer handler time per topic (the `orderflow_consumer_handler_duration_seconds`
 * histograms of libs/kafka), as a snapshot; `since(before)` gives the calls and mean ms of a run.
 * A handler that is slow per call is where a queue builds: its topic's partitions are worked
 * through one message (or one batch) at a time.
 * @param {Record<string, string>} urls service name → base URL
 * @param {string} metricsToken the bearer /metrics asks for (METRICS_TOKEN)
 */
export async function handlerTimes(urls, metricsToken) {
  const totals = new Map();
  for (const [service, url] of Object.entries(urls)) {
    const text = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } }).then((r) => (r.ok ? r.text() : ''), () => '');
    for (const m of text.matchAll(/^orderflow_consumer_handler_duration_seconds_(sum|count)\{([^}]*)\} ([\d.e+-]+)$/gm)) {
      const topic = /topic="([^"]+)"/.exec(m[2])?.[1] ?? '?';
      const key = `${service} ${topic}`;
      const entry = totals.get(key) ?? { sum: 0, count: 0 };
      entry[m[1]] += Number(m[3]);
      totals.set(key, entry);
    }
  }
  return {
    since(before) {
      return [...totals]
        .map(([key, { sum, count }]) => {
          const earlier = before.totals.get(key) ?? { sum: 0, count: 0 };
          const calls = count - earlier.count;
          return { handler: key, calls, meanMs: calls > 0 ? Math.round((1000 * (sum - earlier.sum)) / calls) : 0 };
        })
        .filter((h) => h.calls > 0);
    },
    totals,
  };
}
