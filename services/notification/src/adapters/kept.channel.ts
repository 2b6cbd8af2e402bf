import type { Channel, ChannelName } from './channel';

/**
 * A channel with nowhere to send (no SMTP_URL, no Discord or Slack webhook) when the service is
 * told to keep what it would have sent (`KEEP_UNSENT`, on in the one-machine mode): the rendered
 * message is already in the notification log, so "sending" marks it SENT there and the console's
 * Mail page shows it, as Mailpit would. Nothing leaves the machine.
 */
export class KeptChannel implements Channel {
  readonly target = 'kept for the console (nothing is sent)';
  /** Keeping costs nothing but the statement that claims: many at once. */
  readonly inFlight = 50;

  constructor(readonly name: ChannelName) {}

  async send(): Promise<void> {}

  async close(): Promise<void> {}
}
