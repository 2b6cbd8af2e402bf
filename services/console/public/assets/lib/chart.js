import { html } from './html.js';

const WIDTH = 600;
const HEIGHT = 150;
const LEFT = 52;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 24;
/** Colours by class (the CSP allows no inline style): the series' own tone, or the palette in turn. */
const PALETTE = ['series-1', 'series-2', 'series-3', 'series-4', 'series-5', 'series-6'];

/** A round top for the axis: 1, 2 or 5 times a power of ten. */
function niceTop(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((f) => f * power).find((top) => top >= value);
}

/** Runs of consecutive values that are not null, each as points: a line does not bridge a gap. */
function runs(values, x, y) {
  const all = [];
  let run = [];
  values.forEach((v, i) => {
    if (v === null || v === undefined) {
      if (run.length) all.push(run);
      run = [];
    } else run.push([x(i), y(v)]);
  });
  if (run.length) all.push(run);
  return all;
}

/**
 * One quantity per minute over the last hour as SVG: stacked bars for counts, lines for rates
 * and levels. The SVG is one image to a screen reader, named by `title` and `summary` (what the
 * latest minute says); the legend under it names each colour in text.
 */
export function MinuteChart({ title, summary, kind = 'lines', series, format = (v) => String(v), max }) {
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const heights = kind === 'bars'
    ? Array.from({ length: n }, (_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0))
    : series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined));
  const top = max ?? niceTop(Math.max(0, ...heights));
  const step = plotWidth / n;
  const x = (i) => LEFT + i * step;
  const y = (v) => TOP + plotHeight - (Math.min(v, top) / top) * plotHeight;
  const tone = (s, i) => s.tone ?? PALETTE[i % PALETTE.length];

  let marks;
  if (kind === 'bars') {
    const base = Array(n).fill(0);
    marks = series.map((s, si) => html`<g class=${`chart-bars ${tone(s, si)}`}>${s.values.map((v, i) => {
      if (!v) return null;
      const from = base[i];
      base[i] += v;
      return html`<rect x=${x(i) + 0.5} y=${y(base[i])} width=${Math.max(step - 1, 1)} height=${Math.max(y(from) - y(base[i]), 1)} />`;
    })}</g>`);
  } else {
    marks = series.map((s, si) => html`<g class=${`chart-line ${tone(s, si)}`}>${runs(s.values, (i) => x(i) + step / 2, y).map((run) => run.length === 1
      ? html`<circle cx=${run[0][0]} cy=${run[0][1]} r="2.5" />`
      : html`<polyline points=${run.map((p) => p.join(',')).join(' ')} />`)}</g>`);
  }

  return html`<figure class="chart card">
    <figcaption>${title}</figcaption>
    <svg class="chart-svg" viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label=${`${title}: ${summary}`}>
      <g class="chart-axis" aria-hidden="true">
        <line x1=${LEFT} x2=${WIDTH - RIGHT} y1=${TOP} y2=${TOP} class="chart-grid" />
        <line x1=${LEFT} x2=${WIDTH - RIGHT} y1=${TOP + plotHeight} y2=${TOP + plotHeight} />
        <text x=${LEFT - 6} y=${TOP + 4} text-anchor="end">${format(top)}</text>
        <text x=${LEFT - 6} y=${TOP + plotHeight + 4} text-anchor="end">${format(0)}</text>
        <text x=${LEFT} y=${HEIGHT - 6}>${n} min ago</text>
        <text x=${WIDTH - RIGHT} y=${HEIGHT - 6} text-anchor="end">now</text>
      </g>
      ${marks}
    </svg>
    <p class="chart-summary">${summary}</p>
    ${series.length > 1 || kind === 'bars' ? html`<ul class="chart-legend">${series.map((s, si) => html`<li><span class=${`swatch ${tone(s, si)}`} aria-hidden="true"></span>${s.name}</li>`)}</ul>` : null}
  </figure>`;
}
