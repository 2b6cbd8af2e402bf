/**
 * The console's calls to its own server. The session cookie goes along by itself (HttpOnly:
 * scripts never see it); state-changing calls carry the session's CSRF token. Errors arrive as
 * problem+json and become an ApiError with the server's own words.
 */
let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `The server answered ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Fired when the server says the session is gone, so the app can ask to sign in again. */
export const SIGNED_OUT = 'orderflow:signed-out';

export async function api(path, { method = 'GET', body, headers: extra = {} } = {}) {
  const headers = { accept: 'application/json', ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, { detail: 'The console server did not answer. Check your connection and try again.' });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && path.startsWith('/console/api/') && path !== '/console/api/session') window.dispatchEvent(new CustomEvent(SIGNED_OUT));
    throw new ApiError(res.status, data);
  }
  return data;
}

/** A query string from the set values of `params`. */
export function qs(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
