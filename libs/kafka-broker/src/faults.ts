/**
 * Fault injection for tests, after franz-go's kfake controls: tests use it to
 * prove that clients and services survive a broker that drops connections,
 * answers slowly, fails requests or goes quiet.
 */
export interface InjectedFault {
  /** Milliseconds to hold the request before handling it. */
  readonly delayMs: number;
  /** When set, the request is answered with this error code in every part instead of being handled. */
  readonly errorCode: number | null;
  /** Handle the request, then close the connection instead of answering: the client cannot know it succeeded. */
  readonly dropResponse: boolean;
}

interface Rule {
  remaining: number;
  delayMs: number;
  errorCode: number | null;
  dropResponse: boolean;
}

export class Faults {
  private readonly rules = new Map<number, Rule[]>();
  private silence: { until: number; released: Promise<void>; release: () => void } | null = null;

  constructor(
    private readonly apiKeyOf: (api: string | number) => number,
    private readonly closeConnections: () => number,
  ) {}

  /** Drops every open client connection, as a broker restart or network blip would. Returns how many. */
  closeAllConnections(): number {
    return this.closeConnections();
  }

  /** Holds each of the next `count` requests of `api` for `ms` before handling it. */
  delayNext(api: string | number, count: number, ms: number): void {
    this.add(api, { remaining: count, delayMs: ms, errorCode: null, dropResponse: false });
  }

  /** Answers the next `count` requests of `api` with `errorCode` in every topic, partition or group they name. */
  failNext(api: string | number, count: number, errorCode: number): void {
    this.add(api, { remaining: count, delayMs: 0, errorCode, dropResponse: false });
  }

  /**
   * Handles the next `count` requests of `api` but closes the connection
   * instead of answering, like a broker that crashes right after writing:
   * the way to prove that client retries do not duplicate effects.
   */
  dropResponseNext(api: string | number, count: number): void {
    this.add(api, { remaining: count, delayMs: 0, errorCode: null, dropResponse: true });
  }

  /**
   * Stops answering: requests are read but not handled until `ms` has passed or
   * the returned function is called. Connections stay open, as with a broker
   * stuck in a long GC pause.
   */
  stopAnswering(ms: number): () => void {
    this.resumeAnswering();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const timer = setTimeout(() => this.resumeAnswering(), ms);
    timer.unref();
    this.silence = {
      until: Date.now() + ms,
      released,
      release: () => {
        clearTimeout(timer);
        release();
      },
    };
    return () => this.resumeAnswering();
  }

  resumeAnswering(): void {
    const s = this.silence;
    this.silence = null;
    s?.release();
  }

  /** Removes every pending rule and ends a silence. */
  reset(): void {
    this.rules.clear();
    this.resumeAnswering();
  }

  get silent(): boolean {
    return this.silence !== null;
  }

  /** Resolves once the broker answers again; immediate when it is not silent. */
  async whileSilent(): Promise<void> {
    while (this.silence) await this.silence.released;
  }

  /** Consumes the fault that applies to the next request of `apiKey`, if any. */
  take(apiKey: number): InjectedFault | null {
    const list = this.rules.get(apiKey);
    const rule = list?.[0];
    if (!list || !rule) return null;
    rule.remaining -= 1;
    if (rule.remaining <= 0) list.shift();
    return { delayMs: rule.delayMs, errorCode: rule.errorCode, dropResponse: rule.dropResponse };
  }

  private add(api: string | number, rule: Rule): void {
    if (!Number.isInteger(rule.remaining) || rule.remaining <= 0) throw new Error('count must be a positive integer');
    const key = this.apiKeyOf(api);
    const list = this.rules.get(key) ?? [];
    list.push(rule);
    this.rules.set(key, list);
  }
}
