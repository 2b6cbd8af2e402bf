/**
 * A URL fit for logs: a Discord or Slack webhook URL is its own credential (the path holds the
 * token) and an SMTP URL may carry a password, so only the scheme, host and port remain.
 */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}/[redacted]`;
  } catch {
    return '[redacted]';
  }
}
