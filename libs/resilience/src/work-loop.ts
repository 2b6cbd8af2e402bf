export interface WorkLoopOptions {
  /** Does one unit of due work (a job, a notification); resolves false when none is due. */
  runOne(): Promise<boolean>;
  /** How long to wait, once nothing is due, before looking again. */
  idleMs(): number;
  /** A run that threw: the loop looks again after `idleMs`. */
  onError(err: unknown): void;
}

/**
 * The loop behind a worker that polls a table for due work: it runs units back to back while
 * there are any, then sleeps `idleMs`; `notify()` wakes it at once (or, mid-run, makes it look
 * again right after), so new work never waits for the poll. One run at a time per loop.
 */
export class WorkLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: WorkLoopOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** Looks for due work now, e.g. right after a commit that created some. */
  notify(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops scheduling and waits for the run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain().finally(() => {
        this.running = undefined;
        const wait = this.again ? 0 : this.options.idleMs();
        this.again = false;
        this.schedule(wait);
      });
    }, ms);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && (await this.options.runOne())) {
        // keep going while work is due
      }
    } catch (err) {
      this.options.onError(err);
    }
  }
}
