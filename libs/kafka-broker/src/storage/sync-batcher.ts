/**
 * Group commit for fsync: callers that ask while an fsync is running share the
 * next one, so N concurrent acks=all writes cost about two fsyncs, not N.
 * A caller is only released by an fsync that started after it asked, because
 * an fsync already under way may not cover its write.
 */
export class SyncBatcher {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly doSync: () => Promise<void>) {}

  request(): Promise<void> {
    if (!this.running) return this.start();
    if (!this.queued) {
      this.queued = this.running.then(
        () => this.startQueued(),
        () => this.startQueued(),
      );
    }
    return this.queued;
  }

  private startQueued(): Promise<void> {
    this.queued = null;
    return this.start();
  }

  private start(): Promise<void> {
    const run = this.doSync().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}
