/**
 * kafkajs 2.2.4's per-connection request queue arms a timer to look at its queue of requests
 * waiting to be sent (ones held back by `maxInFlightRequests` or a broker's throttle), and the
 * look re-arms it. With nothing waiting and no throttle, the delay is negative, so Node runs it
 * after 1 ms: every connection kafkajs opens spins on a 1 ms timer for as long as it lives
 * (tulios/kafkajs#1556, #1704; kafkajs is unmaintained). Measured here: each of the one-machine
 * mode's service threads woke ~2,800 times a second doing nothing.
 *
 * The timer only matters while requests wait: `push` arms it after queueing one, and every
 * response sends what waits (`fulfillRequest`). So with an empty queue it is not armed at all;
 * with requests waiting kafkajs's own scheduling runs unchanged (throttle delay or 10 ms).
 *
 * Applied once, when the bus is loaded; the queue's module is kafkajs's own, so every client gets it.
 */
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: PatchableQueue };

interface PatchableQueue {
  pending: unknown[];
  scheduleCheckPendingRequests(this: PatchableQueue): void;
  [PATCHED]?: true;
}

const PATCHED = Symbol.for('orderflow.kafkajs.requestQueue.idleTimer');

export function patchRequestQueue(): void {
  const proto = RequestQueue.prototype;
  if (proto[PATCHED]) return;
  const schedule = proto.scheduleCheckPendingRequests;
  // A kafkajs whose queue no longer looks like this would be patched wrongly: fail loudly instead.
  if (typeof schedule !== 'function' || !/this\.pending\.length/.test(String(schedule))) {
    throw new Error('the kafkajs request queue is not the one this patch was written for (kafkajs 2.2.x)');
  }
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: PatchableQueue) {
    if (this.pending.length === 0) return;
    schedule.call(this);
  };
  proto[PATCHED] = true;
}
