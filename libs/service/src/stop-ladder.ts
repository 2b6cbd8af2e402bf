import type { Logger } from '@orderflow/logging';

/** One rung of a stop: something started (a consumer, a worker, the relay) or opened (Kafka, the database). */
export interface StopStep {
  /** Named in the log when it fails or is stuck: 'consumer', 'outbox relay', 'database'. */
  name: string;
  stop(): unknown;
}

/**
 * Runs `steps` one after another, each given at most `timeoutMs`. A step that fails or is stuck
 * is logged and the ladder goes on: a consumer that will not leave its group must not keep the
 * database open, nor the process alive, past the orchestrator's grace period. A stuck step is not
 * cancelled; it may still finish in the background.
 */
export async function stopInOrder(steps: readonly StopStep[], timeoutMs: number, logger: Logger): Promise<void> {
  for (const step of steps) {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<'stuck'>((resolve) => {
      timer = setTimeout(() => resolve('stuck'), timeoutMs);
    });
    logger.debug({ step: step.name }, 'stopping');
    try {
      const outcome = await Promise.race([Promise.resolve().then(() => step.stop()), stuck]);
      if (outcome === 'stuck') logger.warn({ step: step.name, timeoutMs }, `${step.name} did not stop in time; stopping the rest`);
    } catch (err) {
      logger.warn({ err, step: step.name }, `${step.name} did not stop cleanly`);
    } finally {
      clearTimeout(timer);
    }
  }
}
