import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  /** Recipients, lower-cased. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** Inline images and files, with their Content-ID (without angle brackets). */
  attachments: Array<{ contentId: string | null; contentType: string; content: Buffer }>;
  receivedAt: number;
}

export interface SmtpCapture {
  /** `smtp://127.0.0.1:<port>` */
  readonly url: string;
  readonly mails: readonly CapturedMail[];
  /** The most connections that were open at once: a sender's pool shows here. */
  readonly mostConnections: number;
  /** Mails to `address` (any case), in the order they arrived. */
  to(address: string): CapturedMail[];
  close(): Promise<void>;
}

/** A real SMTP server on loopback that accepts every mail and keeps it, parsed: the stand-in for a mail provider. */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const mails: CapturedMail[] = [];
  let open = 0;
  let mostConnections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Every client is 127.0.0.1; a reverse DNS lookup per connection only adds latency.
    disableReverseLookup: true,
    onConnect(_session, callback) {
      mostConnections = Math.max(mostConnections, ++open);
      callback();
    },
    onClose() {
      open--;
    },
    onData(stream, _session, callback) {
      // keepCidLinks: the HTML keeps its `cid:` references as the sender wrote them.
      simpleParser(stream, { keepCidLinks: true }).then((parsed) => {
        const to = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
        mails.push({
          to,
          from: parsed.from?.text ?? '',
          subject: parsed.subject ?? '',
          text: parsed.text ?? '',
          html: typeof parsed.html === 'string' ? parsed.html : '',
          messageId: parsed.messageId ?? '',
          attachments: parsed.attachments.map((a) => ({ contentId: a.contentId?.replace(/^<|>$/g, '') ?? null, contentType: a.contentType, content: a.content })),
          receivedAt: Date.now(),
        });
        callback();
      }, callback);
    },
  });
  // A sender killed mid-conversation resets its connection: expected in crash tests, not a failure.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    get mostConnections() {
      return mostConnections;
    },
    to: (address) => mails.filter((m) => m.to.includes(address.toLowerCase())),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
