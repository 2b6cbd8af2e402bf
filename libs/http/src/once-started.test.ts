import { HttpProblem } from './http-problem';
import { onceStarted } from './once-started';

describe('onceStarted', () => {
  it('answers 503 Starting up with Retry-After until the service has what the route needs, then hands it over', () => {
    let store: { name: string } | undefined;
    const current = onceStarted(() => store);
    expect(current).toThrow(HttpProblem);
    expect(() => current()).toThrow(expect.objectContaining({ status: 503, detail: 'Starting up', headers: { 'retry-after': '1' } }));
    store = { name: 'started' };
    expect(current()).toBe(store);
  });
});
