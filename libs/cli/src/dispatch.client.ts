import { CliError } from './cli-error';
import { describeAnswer, problemDetail, send, type Answer } from './http-answer';

/** What `POST /external/webhooks` answers: the subscription, and its secret, shown this once. */
export interface CreatedSubscription {
  id: string;
  url: string;
  eventTypes: string[];
  secret: string;
}

const TIMEOUT_MS = 10_000;
const HINT = 'Is Orderflow running (npm start)? Another address: --dispatch-url.';

function refused(what: string, answer: Answer, apiKeyFrom: string): CliError {
  const detail = problemDetail(answer) ?? '';
  let hint = '';
  if (answer.status === 401) hint = ` The API key (${apiKeyFrom}) was refused: pass the shop's key with --api-key.`;
  if (answer.status === 422 && /https|public address/.test(detail)) {
    hint = ' Outbound-dispatch delivers to http or a private address only for hosts in OUTBOUND_ALLOWED_HOSTS: start it with OUTBOUND_ALLOWED_HOSTS=127.0.0.1 (npm start allows localhost, 127.0.0.1 and ::1 unless told otherwise).';
  }
  return new CliError(`outbound-dispatch refused to ${what}: ${describeAnswer(answer)}${hint ? `\n${hint.trim()}` : ''}`);
}

/** The outbound-dispatch subscription API, with one shop's API key. */
export class DispatchClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: { value: string; from: string },
  ) {}

  async subscribe(body: { url: string; eventTypes: string[]; description: string }): Promise<CreatedSubscription> {
    const answer = await send(`${this.baseUrl}/external/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.apiKey.value}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: TIMEOUT_MS,
      what: 'outbound-dispatch',
      hint: HINT,
    });
    if (answer.status !== 201) throw refused('register the subscription', answer, this.apiKey.from);
    const created = answer.json as Partial<CreatedSubscription> | undefined;
    if (typeof created?.id !== 'string' || typeof created.secret !== 'string') throw new CliError(`outbound-dispatch answered 201 without a subscription: ${answer.text.slice(0, 500)}`);
    return created as CreatedSubscription;
  }

  async unsubscribe(id: string): Promise<void> {
    const answer = await send(`${this.baseUrl}/external/webhooks/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${this.apiKey.value}` },
      timeoutMs: TIMEOUT_MS,
      what: 'outbound-dispatch',
      hint: HINT,
    });
    if (answer.status !== 204 && answer.status !== 404) throw refused(`delete subscription ${id}`, answer, this.apiKey.from);
  }
}
