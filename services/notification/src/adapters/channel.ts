export const CHANNELS = ['email', 'discord', 'slack'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/** A claimed notification, as a channel needs it. */
export interface Outgoing {
  id: string;
  recipient: string;
  /** The rendered message stored with the notification. */
  message: unknown;
  resends: number;
}

/** What a successful send learned: the provider's own "slow down" before it says 429. */
export interface SendReceipt {
  pauseMs?: number;
}

/**
 * One way out. `send` resolves once the provider accepted the message, and otherwise throws:
 * `RateLimitedError` (wait, then the same again), `PermanentSendError` (retrying cannot help),
 * anything else (transient: retried with backoff, and counted by the channel's breaker).
 */
export interface Channel {
  readonly name: ChannelName;
  /** Where it sends, fit for logs: credentials and webhook tokens removed. */
  readonly target: string;
  /**
   * How many sends may be under way at once: the SMTP pool's connections; one for a chat
   * webhook, whose rate limit is the webhook's own.
   */
  readonly inFlight: number;
  send(notification: Outgoing): Promise<SendReceipt | void>;
  close(): Promise<void>;
}
