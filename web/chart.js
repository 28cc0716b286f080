// chart.js: a small horizontal bar chart in SVG, no library. One labelled
// bar per item with its value written next to it, so the picture reads at a
// glance and nothing depends on colour. The SVG is role="img" with an
// aria-label that says every value; chartTable() gives the same numbers as
// a table for people who prefer (or need) one.
//
//   const items = [{ label: 'Validity', value: 80 }, { label: 'Usage' }];
//   el.append(barChart(items, { name: 'Trust score by axis', max: 100 }),
//             chartTable(items, { caption: 'Trust score by axis', max: 100 }));
//
// An item without a number (value undefined/null) draws an empty track and
// says `missing` (default "not applicable") instead of a value.
import { h } from './dom.js';

const W = 280; // viewBox width; the CSS scales the SVG to its container (about 1:1)
const ROW = 40; // label line + bar
const BAR_Y = 21;
const BAR_H = 12;

/** "80 of 100", or the missing text. */
export function valueText(item, { max = 100, missing = 'not applicable', unit = '' } = {}) {
  if (typeof item.value !== 'number' || Number.isNaN(item.value)) return missing;
  const v = Math.round(item.value);
  return unit ? `${v}${unit}` : `${v} of ${max}`;
}

/**
 * items: [{label, value?}]; opts: {name (what the chart shows), max (100),
 * missing, unit, className}. Returns an <svg role="img">.
 */
export function barChart(items, opts = {}) {
  const max = opts.max ?? 100;
  const height = Math.max(1, items.length) * ROW;
  const summary = items.map((it) => `${it.label} ${valueText(it, opts)}`).join(', ');
  const svg = h('svg:svg', {
    viewBox: `0 0 ${W} ${height}`,
    role: 'img',
    'aria-label': `${opts.name || 'Chart'}: ${summary}`,
    class: `bar-chart${opts.className ? ` ${opts.className}` : ''}`,
    focusable: 'false',
    preserveAspectRatio: 'xMinYMin meet',
  });
  items.forEach((it, i) => {
    const y = i * ROW;
    const has = typeof it.value === 'number' && !Number.isNaN(it.value);
    const frac = has ? Math.min(1, Math.max(0, it.value / max)) : 0;
    svg.append(...[
      h('svg:text', { x: 0, y: y + 15, class: 'bar-label' }, it.label),
      h('svg:text', { x: W, y: y + 15, 'text-anchor': 'end', class: has ? 'bar-value' : 'bar-value missing' },
        has ? String(Math.round(it.value)) + (opts.unit || '') : (opts.missing || 'not applicable')),
      h('svg:rect', { x: 0, y: y + BAR_Y, width: W, height: BAR_H, rx: 3, class: 'bar-track' }),
      has && frac > 0 && h('svg:rect', {
        x: 0, y: y + BAR_Y, width: Math.max(2, frac * W).toFixed(1), height: BAR_H, rx: 3, class: 'bar-fill',
      }),
    ].filter(Boolean));
  });
  return svg;
}

/** The same numbers as a table (caption, item, value). opts.hidden: visually hidden. */
export function chartTable(items, opts = {}) {
  return h('table', { class: opts.hidden ? 'visually-hidden' : 'chart-table' },
    h('caption', null, opts.caption || opts.name || 'Values'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, opts.itemHeader || 'Axis'),
      h('th', { scope: 'col' }, opts.valueHeader || 'Score'))),
    h('tbody', null, items.map((it) => h('tr', null,
      h('th', { scope: 'row' }, it.label),
      h('td', null, valueText(it, opts))))));
}
