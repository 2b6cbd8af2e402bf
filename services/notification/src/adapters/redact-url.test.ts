import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it('keeps only scheme, host and port: webhook tokens and SMTP passwords never reach a log', () => {
    expect(redactUrl('https://discord.com/api/webhooks/123/s3cr3t-token')).toBe('https://discord.com/[redacted]');
    expect(redactUrl('smtp://user:hunter2@mail.example.com:587')).toBe('smtp://mail.example.com:587/[redacted]');
    expect(redactUrl('not a url')).toBe('[redacted]');
  });
});
