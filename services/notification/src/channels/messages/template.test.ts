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
});
