export const DEADLINE_PASSED = Symbol('deadline passed');

/**
 * Races `promise` against a timer. The promise is not cancelled: whoever holds it still learns
 * its outcome (a late Kafka acknowledgement is recorded even after the client got its 503).
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof DEADLINE_PASSED> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof DEADLINE_PASSED>((resolve) => {
    timer = setTimeout(() => resolve(DEADLINE_PASSED), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
