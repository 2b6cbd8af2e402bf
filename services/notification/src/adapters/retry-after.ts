/** When a 429 names no delay, wait this long: Discord's buckets reset within a second or two. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;
/** A wait longer than this is treated as this: a bogus header must not park a channel for a day. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * The wait a 429 asks for, in milliseconds. Discord puts `retry_after` in the JSON body, in
 * seconds, often fractional (0.337); its `Retry-After` header is rounded up to whole seconds, so
 * the body wins when both are there. Slack sends only the header, which may also be an HTTP date.
 */
export function retryAfterMs(body: string, header: string | null, now = Date.now()): number {
  const fromBody = bodySeconds(body);
  const ms = fromBody !== null ? fromBody * 1_000 : headerMs(header, now);
  if (ms === null || !Number.isFinite(ms) || ms < 0) return DEFAULT_RETRY_AFTER_MS;
  return Math.min(MAX_RETRY_AFTER_MS, Math.ceil(ms));
}

function bodySeconds(body: string): number | null {
  try {
    const parsed: unknown = JSON.parse(body);
    const value = typeof parsed === 'object' && parsed !== null ? (parsed as { retry_after?: unknown }).retry_after : undefined;
    return typeof value === 'number' ? value : null;
  } catch {
    return null;
  }
}

function headerMs(header: string | null, now: number): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1_000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
