import * as fs from 'node:fs';

/**
 * Where a log segment's bytes live. Appends and reads are synchronous: they
 * touch only the page cache, take microseconds, and keeping them synchronous
 * makes offset assignment and append one atomic step on the event loop.
 * Durability against a machine crash comes from `sync()` (fdatasync), which is
 * asynchronous and batched.
 */
export interface SegmentStore {
  readonly size: number;
  append(buf: Buffer): void;
  read(position: number, length: number): Buffer;
  sync(): Promise<void>;
  truncate(size: number): void;
  close(): void;
  remove(): void;
}

export class FileSegmentStore implements SegmentStore {
  private fd: number;
  private bytes: number;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'a+');
    this.bytes = fs.fstatSync(this.fd).size;
  }

  get size(): number {
    return this.bytes;
  }

  append(buf: Buffer): void {
    let written = 0;
    while (written < buf.length) written += fs.writeSync(this.fd, buf, written, buf.length - written);
    this.bytes += buf.length;
  }

  read(position: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(this.fd, out, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? out : out.subarray(0, got);
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  truncate(size: number): void {
    fs.ftruncateSync(this.fd, size);
    this.bytes = size;
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  remove(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }
}

/** In-memory segment for tests and `dataDir: null`. */
export class MemorySegmentStore implements SegmentStore {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private bytes = 0;

  get size(): number {
    return this.bytes;
  }

  append(data: Buffer): void {
    if (this.bytes + data.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.bytes + data.length));
      this.buf.copy(grown, 0, 0, this.bytes);
      this.buf = grown;
    }
    data.copy(this.buf, this.bytes);
    this.bytes += data.length;
  }

  read(position: number, length: number): Buffer {
    // A copy, so later appends that reallocate cannot change what a reader holds.
    return Buffer.from(this.buf.subarray(position, Math.min(position + length, this.bytes)));
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  truncate(size: number): void {
    this.bytes = Math.min(size, this.bytes);
  }

  close(): void {}

  remove(): void {
    this.buf = Buffer.alloc(0);
    this.bytes = 0;
  }
}
