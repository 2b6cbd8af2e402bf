import { createHash } from 'node:crypto';

/**
 * Names for parameterised statements, so that Postgres parses and plans each statement text once
 * per connection instead of on every execution (pg and the Prisma adapter send an unnamed
 * statement otherwise: Parse, Bind and Execute each time). Measured on the order service's
 * statements: 0.46 ms of server time each unnamed (parse 0.12, bind and plan 0.15, execute 0.20),
 * 0.27 ms prepared (bind 0.07, execute 0.20); Postgres' CPU per order fell by about a third.
 *
 * Every connection keeps the statements it prepared for its life, so only the first `limit`
 * distinct texts get a name; any later text (a query built with a varying number of
 * placeholders, say) runs unnamed as before. Our statement texts are fixed by the code, some
 * hundreds per service, so the limit is a safety net, not a working set.
 *
 * With PgBouncer in transaction mode, named statements need PgBouncer 1.21 or later with
 * `max_prepared_statements` set.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly limit = 2_000) {}

  /** The name for `text`, or undefined to run it unnamed (past the limit, or not parameterised). */
  nameOf(text: string, parameterised: boolean): string | undefined {
    if (!parameterised) return undefined;
    const known = this.names.get(text);
    if (known !== undefined || this.names.size >= this.limit) return known;
    const name = `of_${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
    this.names.set(text, name);
    return name;
  }

  get size(): number {
    return this.names.size;
  }
}
