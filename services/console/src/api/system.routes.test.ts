import { mergeExpositions, mergeOpenApi } from './system.routes';

describe('the whole system on the origin', () => {
  it("merges expositions: a family's HELP and TYPE once, every service's samples under it", () => {
    const of = (service: string, value: number) => `# HELP up_total Ups.\n# TYPE up_total counter\nup_total{service="${service}"} ${value}\n# HELP only_${service} Own.\n# TYPE only_${service} gauge\nonly_${service}{service="${service}"} 1\n`;
    expect(mergeExpositions([of('order', 1), of('ingress', 2)])).toBe(
      [
        '# HELP up_total Ups.',
        '# TYPE up_total counter',
        'up_total{service="order"} 1',
        'up_total{service="ingress"} 2',
        '# HELP only_order Own.',
        '# TYPE only_order gauge',
        'only_order{service="order"} 1',
        '# HELP only_ingress Own.',
        '# TYPE only_ingress gauge',
        'only_ingress{service="ingress"} 1',
      ].join('\n') + '\n',
    );
  });

  it('merges OpenAPI documents, and refuses two services documenting one path or one component differently', () => {
    const doc = (path: string, problem: unknown) => ({ openapi: '3.1.0', info: { title: path, version: '1' }, tags: [{ name: 't' }], paths: { [path]: {} }, components: { schemas: { Problem: problem } } });
    const merged = mergeOpenApi([
      { service: 'order', document: doc('/a', { type: 'object' }) },
      { service: 'ingress', document: doc('/b', { type: 'object' }) },
    ]);
    expect(merged).toMatchObject({ paths: { '/a': {}, '/b': {} }, tags: [{ name: 't' }], components: { schemas: { Problem: { type: 'object' } } } });
    expect(() => mergeOpenApi([{ service: 'order', document: doc('/a', {}) }, { service: 'ingress', document: doc('/a', {}) }])).toThrow();
    expect(() => mergeOpenApi([{ service: 'order', document: doc('/a', { type: 'object' }) }, { service: 'ingress', document: doc('/b', { type: 'string' }) }])).toThrow();
  });
});
