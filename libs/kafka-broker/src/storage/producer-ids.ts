import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readJsonFile, writeFileAtomic } from './atomic-file';

/** IDs are reserved on disk a block at a time, so InitProducerId costs one fsync per thousand producers. */
const BLOCK_SIZE = 1000;

interface BrokerFile {
  clusterId: string;
  producerIdBlockEnd: number;
}

/**
 * The broker's identity and producer ID allocation. Producer IDs never repeat
 * across restarts: the end of the reserved block is persisted before any ID
 * in it is handed out, and start-up skips past IDs found in the logs.
 */
export class ProducerIds {
  private next = 0;
  private blockEnd = 0;

  private constructor(
    private readonly file: string | null,
    readonly clusterId: string,
  ) {}

  static open(dataDir: string | null): ProducerIds {
    if (dataDir === null) {
      const ids = new ProducerIds(null, newClusterId());
      ids.blockEnd = Number.MAX_SAFE_INTEGER;
      return ids;
    }
    const file = path.join(dataDir, 'broker.json');
    const stored = readJsonFile<BrokerFile>(file);
    const ids = new ProducerIds(file, stored?.clusterId ?? newClusterId());
    ids.next = stored?.producerIdBlockEnd ?? 0;
    ids.blockEnd = ids.next;
    ids.persist();
    return ids;
  }

  /** Never hand out an ID at or below one already used in a log. */
  skipPast(usedId: number): void {
    if (usedId >= this.next) {
      this.next = usedId + 1;
      if (this.next > this.blockEnd) this.blockEnd = this.next;
    }
  }

  allocate(): number {
    if (this.next >= this.blockEnd) {
      this.blockEnd = this.next + BLOCK_SIZE;
      this.persist();
    }
    return this.next++;
  }

  private persist(): void {
    if (this.file === null) return;
    const contents: BrokerFile = { clusterId: this.clusterId, producerIdBlockEnd: this.blockEnd };
    writeFileAtomic(this.file, `${JSON.stringify(contents, null, 2)}\n`);
  }
}

/** Kafka cluster IDs are 16 random bytes in URL-safe base64 without padding. */
function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}
