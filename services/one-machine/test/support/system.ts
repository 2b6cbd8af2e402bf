import * as fs from 'node:fs';
import type { LocalSecrets } from '../../src';

export type BackendService = 'ingress' | 'order' | 'fulfillment' | 'notification' | 'dispatch';

/** A running Orderflow, however it was started: what the end-to-end scenario needs of it. */
export interface System {
  /** How it runs, for test names and messages. */
  readonly description: string;
  readonly urls: Readonly<Record<BackendService, string>>;
  readonly secrets: LocalSecrets;
  /** The instance and key of `API_KEYS`' first entry: the shop the scenario acts as. */
  readonly shop: { instanceId: string; apiKey: string };
  /** What it printed or logged recently, to explain a failed wait. */
  diagnostics(): string;
  stop(): Promise<void>;
}

export function readSecrets(file: string): LocalSecrets {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as LocalSecrets;
}

export function shopOf(secrets: LocalSecrets): System['shop'] {
  const [first] = secrets.API_KEYS.split(',');
  const colon = first.indexOf(':');
  return { instanceId: first.slice(0, colon), apiKey: first.slice(colon + 1) };
}
