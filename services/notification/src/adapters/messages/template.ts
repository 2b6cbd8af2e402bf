/** What a template is rendered with: scalars, nested views and lists of views. */
export type View = { readonly [name: string]: Value };
export type Value = string | number | boolean | null | undefined | View | readonly View[];

type Node = { kind: 'text'; text: string } | { kind: 'var'; name: string } | { kind: 'section'; name: string; inverted: boolean; children: Node[] };

const TAG = /\{\{\s*([#^/]?)\s*([A-Za-z][\w.]*)\s*\}\}/g;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * A mustache subset, enough for mails and nothing a template author could trip over:
 * `{{name}}`, `{{a.b}}`, sections `{{#list}}…{{/list}}` (once per item of a list, once for a
 * truthy value), inverted sections `{{^list}}…{{/list}}` (empty list or falsy value) and
 * partials `{{> name}}` (the source `partial(name)` gives, as if written in its place, so the
 * mails share one copy of a block). No lambdas, no unescaped output: in an HTML template every
 * value is escaped, so a customer named `<script>` stays text.
 *
 * A name the view does not have is an error, not an empty string: a typo in a template fails
 * the tests rather than mailing customers a blank where their ticket code should be.
 */
export class Template {
  private readonly nodes: Node[];

  constructor(
    readonly name: string,
    source: string,
    private readonly escape: boolean,
    partial: (name: string) => string = (partialName) => {
      throw new Error(`${name}: {{> ${partialName}}} but this template has no partials`);
    },
  ) {
    this.nodes = parse(name, withPartials(name, source, partial, []));
  }

  render(view: View): string {
    return this.renderNodes(this.nodes, [view]);
  }

  private renderNodes(nodes: readonly Node[], stack: readonly View[]): string {
    let out = '';
    for (const node of nodes) {
      if (node.kind === 'text') {
        out += node.text;
      } else if (node.kind === 'var') {
        const value = this.lookup(node.name, stack);
        if (typeof value === 'object' && value !== null) throw new Error(`${this.name}: {{${node.name}}} is not a scalar`);
        const text = value === null || value === undefined ? '' : String(value);
        out += this.escape ? escapeHtml(text) : text;
      } else {
        const value = this.lookup(node.name, stack);
        const items: readonly View[] = Array.isArray(value) ? value : value ? [typeof value === 'object' ? (value as View) : {}] : [];
        if (node.inverted) {
          if (items.length === 0) out += this.renderNodes(node.children, stack);
        } else {
          for (const item of items) out += this.renderNodes(node.children, [item, ...stack]);
        }
      }
    }
    return out;
  }

  /** The innermost view that has the first segment decides; dotted segments walk down from it. */
  private lookup(name: string, stack: readonly View[]): Value {
    const [head, ...rest] = name.split('.');
    const owner = stack.find((view) => Object.prototype.hasOwnProperty.call(view, head));
    if (!owner) throw new Error(`${this.name}: the view has no "${head}"`);
    let value: Value = owner[head];
    for (const segment of rest) {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, segment)) {
        throw new Error(`${this.name}: the view has no "${name}"`);
      }
      value = (value as View)[segment];
    }
    return value;
  }
}

/**
 * Mustache's standalone rule: a section tag alone on its line takes the line with it, so a
 * plain-text list renders one line per item instead of a blank line between each.
 */
const STANDALONE = /^[ \t]*(\{\{\s*[#^/]\s*[A-Za-z][\w.]*\s*\}\})[ \t]*(\r?\n|$)/gm;

/**
 * A partial tag, alone on its line or within one. Alone, it takes the line with it, as a section
 * tag does: the partial's source brings its own newline.
 */
const PARTIAL = /^[ \t]*\{\{>\s*([a-z][\w-]*)\s*\}\}[ \t]*(?:\r?\n|$)|\{\{>\s*([a-z][\w-]*)\s*\}\}/gm;

function withPartials(name: string, source: string, partial: (name: string) => string, including: readonly string[]): string {
  return source.replace(PARTIAL, (_tag, standalone: string | undefined, inline: string | undefined) => {
    const partialName = standalone ?? inline!;
    if (including.includes(partialName)) throw new Error(`${name}: {{> ${partialName}}} includes itself`);
    return withPartials(name, partial(partialName), partial, [...including, partialName]);
  });
}

function parse(name: string, template: string): Node[] {
  const source = template.replace(STANDALONE, '$1');
  const root: Node[] = [];
  const open: Array<{ name: string; children: Node[] }> = [];
  let current = root;
  let last = 0;
  for (const match of source.matchAll(TAG)) {
    const [tag, sigil, tagName] = match;
    const at = match.index ?? 0;
    if (at > last) current.push({ kind: 'text', text: source.slice(last, at) });
    last = at + tag.length;
    if (sigil === '') {
      current.push({ kind: 'var', name: tagName });
    } else if (sigil === '/') {
      const section = open.pop();
      if (!section || section.name !== tagName) throw new Error(`${name}: {{/${tagName}}} closes ${section ? `{{#${section.name}}}` : 'nothing'}`);
      current = open.length > 0 ? open[open.length - 1].children : root;
    } else {
      const node: Node = { kind: 'section', name: tagName, inverted: sigil === '^', children: [] };
      current.push(node);
      open.push({ name: tagName, children: node.children });
      current = node.children;
    }
  }
  if (open.length > 0) throw new Error(`${name}: {{#${open[open.length - 1].name}}} is never closed`);
  if (last < source.length) current.push({ kind: 'text', text: source.slice(last) });
  return root;
}
