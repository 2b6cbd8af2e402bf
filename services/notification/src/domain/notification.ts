import type { ChannelName } from '../adapters/channel';

/** A notification to write; `(dedupeKey, channel, recipient)` is unique for ever. */
export interface NotificationDraft {
  dedupeKey: string;
  channel: ChannelName;
  recipient: string;
  kind: string;
  eventId: string | null;
  eventType: string | null;
  orderId: string | null;
  message: unknown;
  itemIds?: string[];
}

/** A notification just written (a duplicate is not): what is counted, and whose channel is told. */
export interface Created {
  channel: string;
  kind: string;
}

/** One line: driver and provider errors arrive with newlines, and this goes in the admin list. */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim().slice(0, 1_000);
}
