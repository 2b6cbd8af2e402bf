import { isSecretKey } from '@orderflow/logging';

export const REDACTED = '[redacted]';

/**
 * Fields that are credentials in provider payloads and our own records, beyond the names every
 * log redacts (`*secret`, `*token`, `*password`, `*api_key`, `*private_key`, auth and signature
 * headers): a PaymentIntent's `client_secret` is caught by those; card data and bank numbers,
 * a webhook's signing material and a ticket's signed QR payload (whoever holds it gets in) are
 * added here. Compared case-insensitively with `-` and `_` ignored.
 */
const PAYLOAD_SECRET_KEYS = new Set(['cvc', 'cvv', 'cvc2', 'cardnumber', 'pan', 'iban', 'accountnumber', 'routingnumber', 'signature', 'signingkey', 'qrpayload', 'licensekey', 'password', 'secret', 'credentials']);

/**
 * Secrets recognisable by their shape wherever they appear in a string: Stripe secret and
 * restricted keys, webhook signing secrets, client secrets (`pi_..._secret_...`) and signature
 * headers (`t=...,v1=...`). A string that is a card number as a whole is masked too.
 */
const SECRET_VALUES: ReadonlyArray<[RegExp, string]> = [
  [/\b(sk|rk)_(live|test)_[A-Za-z0-9]{8,}/g, `$1_$2_${REDACTED}`],
  [/\bwhsec_[A-Za-z0-9+/=_-]{8,}/g, `whsec_${REDACTED}`],
  [/\b((?:pi|seti|cs)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+/g, `$1_secret_${REDACTED}`],
  [/\bv1=[0-9a-f]{32,}/g, `v1=${REDACTED}`],
];

/** Deeper than any provider payload; a pathological document is cut, not walked forever. */
const MAX_DEPTH = 32;

export function isPayloadSecretKey(key: string): boolean {
  return isSecretKey(key) || PAYLOAD_SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/** A whole string that is a payment card number: 13–19 digits (spaces or dashes between) passing Luhn. */
function isCardNumber(text: string): boolean {
  const digits = text.replace(/[ -]/g, '');
  if (!/^\d{13,19}$/.test(digits) || !/^[\d -]+$/.test(text)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

export function redactString(text: string): string {
  if (isCardNumber(text)) return REDACTED;
  return SECRET_VALUES.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/**
 * A copy of a JSON document safe to show to support: secret-named fields replaced, secret-shaped
 * strings masked, at any depth. The caller's value is never mutated.
 */
export function redactPayload(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (Array.isArray(value)) return value.map((item) => redactPayload(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    copy[key] = isPayloadSecretKey(key) && field !== null && field !== '' ? REDACTED : redactPayload(field, depth + 1);
  }
  return copy;
}

/**
 * A partner or provider URL as support may see it: credentials in it (user info, query values,
 * which often carry a token) masked; scheme, host and path kept.
 */
export function redactUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return REDACTED;
  }
  if (parsed.username || parsed.password) {
    parsed.username = REDACTED;
    parsed.password = '';
  }
  for (const key of [...new Set(parsed.searchParams.keys())]) parsed.searchParams.set(key, REDACTED);
  const text = parsed.toString();
  try {
    return decodeURI(text);
  } catch {
    return text;
  }
}
