import { CliError } from './cli-error';

/** An HTTP answer, read whole: bodies here are small (a problem document, a subscription). */
export interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function readAnswer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  if (/json/i.test(res.headers.get('content-type') ?? '')) {
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, statusText: res.statusText, headers: res.headers, text, json };
}

/** `401 Unauthorized` and the body: JSON pretty-printed, text cut at 2,000 characters. */
export function describeAnswer(answer: Answer, options: { compact?: boolean } = {}): string {
  const head = `${answer.status} ${answer.statusText}`.trim();
  if (answer.json !== undefined) return `${head}${options.compact ? ' ' : '\n'}${JSON.stringify(answer.json, null, options.compact ? 0 : 2)}`;
  if (!answer.text) return head;
  const text = answer.text.length > 2_000 ? `${answer.text.slice(0, 2_000)}… (${answer.text.length} characters)` : answer.text;
  return `${head}\n${text}`;
}

/** `detail` of a problem+json answer, if it is one. */
export function problemDetail(answer: Answer): string | null {
  const detail = (answer.json as { detail?: unknown } | undefined)?.detail;
  return typeof detail === 'string' ? detail : null;
}

/** fetch, with the connection failures said plainly (fetch itself only says "fetch failed"). */
export async function send(url: string, init: RequestInit & { timeoutMs: number; what: string; hint: string }): Promise<Answer> {
  try {
    return await readAnswer(await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs) }));
  } catch (err) {
    throw new CliError(`could not reach ${init.what} at ${url}: ${reasonOf(err, init.timeoutMs)}. ${init.hint}`);
  }
}

function reasonOf(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
