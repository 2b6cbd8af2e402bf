import QRCode from 'qrcode';
import { createTransport } from 'nodemailer';
import type { EmailMessage } from './messages/email-templates';
import type { Channel, Outgoing } from './channel';
import { redactUrl } from './redact-url';
import { PermanentSendError } from './send-errors';

export interface EmailChannelOptions {
  smtpUrl: string;
  from: string;
  timeoutMs: number;
  /** Connections to the relay, and so mails under way at once. */
  connections: number;
}

/**
 * Mail over SMTP with nodemailer, over a pool of SMTP_CONNECTIONS connections, each carrying one
 * mail at a time (the channel's worker sends that many at once). Measured against the loopback
 * relay of the tests: a connection per mail took ~105 ms a mail, a pooled connection ~2 ms;
 * against a real relay the handshake (TCP, TLS, EHLO, AUTH) costs more, not less. A connection
 * that fails or idles out is dropped from the pool and the next mail opens a new one.
 *
 * The Message-ID is fixed per notification (and resend): if a relay took a mail but the
 * connection died before its 250 reached us, the retry carries the same Message-ID, which
 * receiving systems use to drop the duplicate. A resend by hand gets a new one, so it is not
 * dropped as a copy of the mail the customer says never arrived.
 */
export class EmailChannel implements Channel {
  readonly name = 'email' as const;
  readonly target: string;
  readonly inFlight: number;
  private readonly transport;
  private readonly domain: string;

  constructor(private readonly options: EmailChannelOptions) {
    this.target = redactUrl(options.smtpUrl);
    this.inFlight = options.connections;
    this.domain = /@([^>\s]+)>?\s*$/.exec(options.from)?.[1] ?? 'orderflow.invalid';
    this.transport = createTransport({
      pool: true,
      maxConnections: options.connections,
      url: options.smtpUrl,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      // Messages are our own templates; nothing in them may make the mailer read files or URLs.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(notification: Outgoing): Promise<void> {
    const mail = notification.message as EmailMessage;
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: notification.recipient,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        attachments: await qrAttachments(mail),
        messageId: `<notification-${notification.id}.${notification.resends}@${this.domain}>`,
        headers: { 'X-Orderflow-Notification': notification.id },
      });
    } catch (err) {
      const { code, permanent, response } = err as { code?: string; permanent?: boolean; response?: string };
      const detail = (response ?? (err instanceof Error ? err.message : String(err))).replace(/\s+/g, ' ').slice(0, 300);
      // A 5xx about this message or its recipient; a refused login or a dead relay is the
      // channel's problem, retried and counted by the breaker.
      if (permanent && (code === 'EENVELOPE' || code === 'EMESSAGE')) throw new PermanentSendError(`smtp refused the mail: ${detail}`);
      throw new Error(`smtp ${code ?? 'error'}: ${detail}`);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** A ticket's QR code as a PNG; error correction M survives a scuffed phone screen. */
export function drawQr(payload: string): Promise<Buffer> {
  return QRCode.toBuffer(payload, { errorCorrectionLevel: 'M', margin: 2, width: 400 });
}

/** A mail's QR codes as the attachments its HTML shows by Content-ID. */
export function qrAttachmentsOf(mail: EmailMessage): Array<{ cid: string; filename: string; contentType: 'image/png'; payload: string }> {
  return (mail.inlineQr ?? []).map(({ cid, payload }) => ({ cid, filename: `${cid.split('@')[0]}.png`, contentType: 'image/png', payload }));
}

async function qrAttachments(mail: EmailMessage) {
  return Promise.all(qrAttachmentsOf(mail).map(async ({ payload, ...part }) => ({ ...part, content: await drawQr(payload) })));
}
