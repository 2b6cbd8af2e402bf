/**
 * In-memory index of one segment's batches, kept in typed-array columns
 * (about 40 bytes a batch) rather than one object per batch, so a segment of a
 * million batches is 40 MB of flat memory and no GC pressure.
 */
export class BatchIndex {
  private n = 0;
  private base: Float64Array = new Float64Array(256);
  private last: Float64Array = new Float64Array(256);
  private pos: Float64Array = new Float64Array(256);
  private len: Float64Array = new Float64Array(256);
  private maxTs: Float64Array = new Float64Array(256);

  get count(): number {
    return this.n;
  }

  add(baseOffset: number, lastOffset: number, position: number, size: number, maxTimestamp: number): void {
    if (this.n === this.base.length) this.grow();
    const i = this.n++;
    this.base[i] = baseOffset;
    this.last[i] = lastOffset;
    this.pos[i] = position;
    this.len[i] = size;
    this.maxTs[i] = maxTimestamp;
  }

  baseOffset(i: number): number {
    return this.base[i]!;
  }

  lastOffset(i: number): number {
    return this.last[i]!;
  }

  position(i: number): number {
    return this.pos[i]!;
  }

  size(i: number): number {
    return this.len[i]!;
  }

  maxTimestamp(i: number): number {
    return this.maxTs[i]!;
  }

  /** Index of the batch that holds `offset`, or the first batch after it; `count` when none. */
  findOffset(offset: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.last[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First batch whose max timestamp is at or after `ts`; `count` when none. Linear: timestamps need not be monotonic. */
  findTimestamp(ts: number): number {
    for (let i = 0; i < this.n; i++) if (this.maxTs[i]! >= ts) return i;
    return this.n;
  }

  /** Drops batches from index `i` on (recovery truncation). */
  truncateTo(i: number): void {
    this.n = Math.min(this.n, i);
  }

  private grow(): void {
    const size = this.base.length * 2;
    const g = (a: Float64Array): Float64Array => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.base = g(this.base);
    this.last = g(this.last);
    this.pos = g(this.pos);
    this.len = g(this.len);
    this.maxTs = g(this.maxTs);
  }
}
