export interface StatementBatcherOptions<Item, Result> {
  /** One statement for many items; resolves to one result per item, in the items' order. */
  runBatch(items: readonly Item[]): Promise<Result[]>;
  /**
   * The same work for one item; default: `runBatch` of that item alone. Used when a batch fails,
   * so an item the database rejects (a NUL byte in a text column, say) fails only its own caller,
   * not everyone batched with it.
   */
  runOne?(item: Item): Promise<Result>;
  /** Most items in one statement. Default 200 (a 10-column insert stays far under 65,535 parameters). */
  maxBatch?: number;
  /** Most statements running at once; later calls gather behind them. Default 2. */
  maxInFlight?: number;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(err: unknown): void;
}

/**
 * Group commit for hot statements: calls made in the same turn of the event loop (and those that
 * arrive while `maxInFlight` statements are running) go to the database as one statement, so
 * under load the number of round trips and commits grows far slower than the number of calls.
 * Each caller still learns its own outcome, and nothing waits on a timer: an idle batcher sends a
 * lone call at the end of the current turn.
 */
export class StatementBatcher<Item, Result> {
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly runOne: (item: Item) => Promise<Result>;
  private waiting: Waiting<Item, Result>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly options: StatementBatcherOptions<Item, Result>) {
    this.maxBatch = options.maxBatch ?? 200;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.runOne = options.runOne ?? (async (item) => (await options.runBatch([item]))[0]);
  }

  run(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async send(batch: Waiting<Item, Result>[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch;
      await this.runOne(only.item).then(only.resolve, only.reject);
      return;
    }
    let results: Result[];
    try {
      results = await this.options.runBatch(batch.map((w) => w.item));
    } catch {
      // Nothing of a failed statement was applied: each item goes again alone.
      await Promise.all(batch.map((w) => this.runOne(w.item).then(w.resolve, w.reject)));
      return;
    }
    if (results.length !== batch.length) {
      const err = new Error(`a batch of ${batch.length} returned ${results.length} results`);
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]));
  }
}
