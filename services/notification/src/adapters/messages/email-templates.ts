import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Template, type View } from './template';

export const EMAIL_TEMPLATES = ['order-confirmation', 'tickets-added', 'payment-failed', 'refund', 'admin-new-order', 'daily-summary'] as const;
export type EmailTemplateName = (typeof EMAIL_TEMPLATES)[number];

/** What the email channel sends; stored as the notification's message. */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
  /**
   * QR codes the HTML shows inline (`<img src="cid:...">`). Stored as payloads and drawn when
   * sent, so the notification log keeps a few bytes per ticket rather than an image.
   */
  inlineQr?: Array<{ cid: string; payload: string }>;
}

/**
 * The package's templates/ directory. `__dirname` is src/adapters/messages under ts-jest and
 * dist/adapters/messages when built, so three levels up is the package root either way; the
 * directory ships beside dist/, never copied into it.
 */
export const TEMPLATES_DIR = path.join(__dirname, '..', '..', '..', 'templates');

/**
 * Each mail is two files: `<name>.txt`, whose first line is `Subject: …` and the rest the
 * plain-text body, and `<name>.html`, rendered with every value HTML-escaped. A block several
 * mails share is a partial in `partials/` (`{{> sign-off}}` reads `partials/sign-off.html` into
 * an HTML template, `partials/sign-off.txt` into a text one). All are read and parsed when the
 * service is built, so a missing or broken template stops it from starting rather than failing
 * the first customer's mail.
 */
export class EmailTemplates {
  private readonly templates = new Map<EmailTemplateName, { subject: Template; text: Template; html: Template }>();

  constructor(dir: string = TEMPLATES_DIR) {
    const partial = (extension: string) => (name: string) => readFileSync(path.join(dir, 'partials', `${name}.${extension}`), 'utf8');
    for (const name of EMAIL_TEMPLATES) {
      const txt = readFileSync(path.join(dir, `${name}.txt`), 'utf8');
      const match = /^Subject: *(.+)\r?\n\r?\n?/.exec(txt);
      if (!match) throw new Error(`${name}.txt must start with a "Subject: …" line`);
      this.templates.set(name, {
        subject: new Template(`${name} subject`, match[1].trim(), false),
        text: new Template(`${name}.txt`, txt.slice(match[0].length), false, partial('txt')),
        html: new Template(`${name}.html`, readFileSync(path.join(dir, `${name}.html`), 'utf8'), true, partial('html')),
      });
    }
  }

  render(name: EmailTemplateName, view: View): EmailMessage {
    const template = this.templates.get(name);
    if (!template) throw new Error(`no email template ${name}`);
    // A header line: a newline in a value (a product name, say) must not start a new header.
    const subject = template.subject.render(view).replace(/\s+/g, ' ').trim();
    return { subject, text: template.text.render(view), html: template.html.render(view) };
  }
}
