import type { Prisma, PrismaClient } from '../generated/prisma/client';
import type { Created, NotificationDraft } from '../domain/notification';

export type PrismaTx = Prisma.TransactionClient;

/** What makes a notification unique for ever. */
export type NotificationKey = Pick<NotificationDraft, 'dedupeKey' | 'channel' | 'recipient'>;

/**
 * Writes drafts in the caller's transaction (the consumer's processOnce). ON CONFLICT DO NOTHING
 * on the unique key: a fact already notified (a replay under a new event ID, a second summary
 * request) adds nothing. Returns the rows that are new.
 */
export async function enqueue(tx: PrismaTx, drafts: readonly NotificationDraft[]): Promise<Array<Created & { id: bigint }>> {
  if (drafts.length === 0) return [];
  return tx.notification.createManyAndReturn({
    data: drafts.map((d) => ({ ...d, message: d.message as Prisma.InputJsonValue, itemIds: d.itemIds ?? [] })),
    skipDuplicates: true,
    select: { id: true, channel: true, kind: true },
  });
}

/** The ID of the notification with this key; null when there is none, or Prisma's not-found error when it `mustExist`. */
export async function notificationIdOf(prisma: PrismaClient, key: NotificationKey, mustExist = false): Promise<bigint | null> {
  const query = { where: { dedupeKey_channel_recipient: key }, select: { id: true } };
  const row = mustExist ? await prisma.notification.findUniqueOrThrow(query) : await prisma.notification.findUnique(query);
  return row?.id ?? null;
}
