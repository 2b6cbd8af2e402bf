// A loopback SMTP relay for the benchmarks: takes every mail (no AUTH, no STARTTLS, no reverse
// DNS per connection) and notes when each recipient first got one. Mails are read to the end, as
// a relay must before its 250, and then dropped.
import { SMTPServer } from 'smtp-server';

/** @returns {Promise<{ url: string, firstMail: Map<string, number>, counts: () => { mails: number }, close: () => Promise<void> }>} */
export function startSmtpSink() {
  const firstMail = new Map();
  let mails = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        mails++;
        const at = performance.now();
        for (const { address } of session.envelope.rcptTo) {
          const key = address.toLowerCase();
          if (!firstMail.has(key)) firstMail.set(key, at);
        }
        callback();
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `smtp://127.0.0.1:${server.server.address().port}`,
        firstMail,
        counts: () => ({ mails }),
        close: () => new Promise((r) => server.close(r)),
      }),
    );
  });
}
