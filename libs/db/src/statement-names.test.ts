import { StatementNames } from './statement-names';

describe('StatementNames', () => {
  it('gives one text the same name every time, and different texts different names', () => {
    const names = new StatementNames();
    const a = names.nameOf('SELECT $1::int', true);
    expect(a).toMatch(/^of_[A-Za-z0-9_-]{22}$/);
    expect(names.nameOf('SELECT $1::int', true)).toBe(a);
    expect(names.nameOf('SELECT $1::text', true)).not.toBe(a);
    // The same text in another process gets the same name: it is derived from the text alone.
    expect(new StatementNames().nameOf('SELECT $1::int', true)).toBe(a);
  });

  it('leaves statements without parameters unnamed: they may be scripts of several statements', () => {
    const names = new StatementNames();
    expect(names.nameOf('BEGIN', false)).toBeUndefined();
    expect(names.size).toBe(0);
  });

  it('names only the first `limit` texts, and keeps naming those', () => {
    const names = new StatementNames(2);
    const first = names.nameOf('SELECT $1', true);
    const second = names.nameOf('SELECT $1, $2', true);
    expect(names.nameOf('SELECT $1, $2, $3', true)).toBeUndefined();
    expect(names.nameOf('SELECT $1', true)).toBe(first);
    expect(names.nameOf('SELECT $1, $2', true)).toBe(second);
    expect(names.size).toBe(2);
  });
});
