import { Template } from './template';

describe('Template', () => {
  it('escapes every value in HTML and none in text', () => {
    const view = { name: `<script>alert("x")</script> & 'co'` };
    expect(new Template('t.html', '<p>{{name}}</p>', true).render(view)).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</p>');
    expect(new Template('t.txt', '{{ name }}', false).render(view)).toBe(view.name);
  });

  it('repeats a section per item, looks names up from the item outwards, and drops standalone tag lines', () => {
    const template = new Template('t.txt', 'Order {{order}}\n{{#items}}\n  {{qty}} × {{name}} ({{order}})\n{{/items}}\n{{^items}}\nnothing\n{{/items}}\nend', false);
    expect(template.render({ order: 'A1', items: [{ qty: 2, name: 'Seat' }, { qty: 1, name: 'Key' }] })).toBe('Order A1\n  2 × Seat (A1)\n  1 × Key (A1)\nend');
    expect(template.render({ order: 'A1', items: [] })).toBe('Order A1\nnothing\nend');
  });

  it('treats a scalar section as a condition and walks dotted names', () => {
    const template = new Template('t.txt', '{{#full}}all{{/full}}{{^full}}part{{/full}} {{totals.n}}', false);
    expect(template.render({ full: true, totals: { n: 3 } })).toBe('all 3');
    expect(template.render({ full: false, totals: { n: 0 } })).toBe('part 0');
  });

  it('refuses unknown names and unbalanced sections rather than rendering blanks', () => {
    expect(() => new Template('t.txt', 'Hi {{nmae}}', false).render({ name: 'Ada' })).toThrow('the view has no "nmae"');
    expect(() => new Template('t.txt', '{{#a}}x{{/b}}', false)).toThrow('{{/b}} closes {{#a}}');
    expect(() => new Template('t.txt', '{{#a}}x', false)).toThrow('never closed');
  });

  it('renders a partial as if its source stood in place of the tag, a standalone tag taking its line', () => {
    const partials: Record<string, string> = { rows: '{{#items}}\n- {{name}}\n{{/items}}\n', sign: '— {{shop}}{{> mark}}', mark: '!' };
    const template = new Template('t.html', '<ul>\n{{> rows}}\n</ul>\n<p>{{>sign}}</p>', true, (name) => partials[name]);
    const inline = new Template('t.html', '<ul>\n{{#items}}\n- {{name}}\n{{/items}}\n</ul>\n<p>— {{shop}}!</p>', true);
    const view = { items: [{ name: 'A&B' }, { name: 'C' }], shop: '<Shop>' };
    expect(template.render(view)).toBe(inline.render(view));
    expect(template.render(view)).toBe('<ul>\n- A&amp;B\n- C\n</ul>\n<p>— &lt;Shop&gt;!</p>');
  });

  it('refuses a partial it has no source for, and one that includes itself', () => {
    expect(() => new Template('t.txt', '{{> rows}}', false)).toThrow('t.txt: {{> rows}} but this template has no partials');
    expect(() => new Template('t.txt', '{{> a}}', false, (name) => (name === 'a' ? 'x{{> b}}' : '{{> a}}'))).toThrow('t.txt: {{> a}} includes itself');
  });
});
