/**
 * Drawing of the benchmark charts: ns per operation per workload and contender, horizontal
 * bars on a log scale, as SVG text. Plain JS with no Node imports, so that bench/charts.mjs
 * (the charts of a bench run) and the demo's benchmark page draw the same chart.
 */

/** Contenders in legend order, with their bar colours; 'c' is the separately measured C tree. */
export const SERIES = [
  ['c', 'C maple (measured separately)', '#9e9e9e'],
  ['wasm', 'WASM', '#1f77b4'],
  ['ts', 'TS', '#6baed6'],
  ['sorted-btree', 'sorted-btree', '#ff7f0e'],
  ['js-sdsl', 'js-sdsl', '#2ca02c'],
  ['flatten', '@flatten-js/interval-tree', '#d62728'],
  ['nit', 'node-interval-tree', '#9467bd'],
];

const LABELS = {
  W1: 'W1 build',
  W2: 'W2 random load',
  W3: 'W3 forEach',
  'W3-find': 'W3 MaState find() loop',
  'W3-entries': 'W3 entries()',
  W4: 'W4 random overwrite',
  W5: 'W5 erase',
  W6: 'W6 gap search',
  'W6-setup': 'W6 setup: insertRange',
  W7: 'W7 GPU VA request',
  W8: 'W8 small trees',
  W10: 'W10 all traces',
};
const label = (row) => LABELS[row] ?? row.replace(/^W10-(.*)$/, 'W10 $1 trace');

// Layout, in SVG user units (px).
const WIDTH = 880;
const LEFT = 210; // workload labels
const RIGHT = 70; // room for the value printed after the longest bar
const TOP = 34; // title
const LEGEND_ROW = 18;
const BAR = 10;
const BAR_GAP = 2;
const GROUP_GAP = 12;
const AXIS = 42; // ticks, tick labels and the axis title
const FONT = 'font-family="system-ui, sans-serif"';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const tickText = (v) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v));
const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toPrecision(3)}M` : x >= 1e4 ? `${(x / 1e3).toPrecision(3)}k` : x >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** Minor ticks get a label only when the axis spans at most this many decades. */
const LABELLED_MINOR_DECADES = 3;

/**
 * Log-scale axis over [10^lo, 10^hi], lo chosen so the shortest bar still shows: x position of
 * a value, and the ticks (1, 2, 5 per decade).
 */
function logAxis(values, x0, x1) {
  const lo = Math.floor(Math.log10(Math.min(...values) / 2));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
  const x = (v) => x0 + ((Math.log10(v) - lo) / (hi - lo)) * (x1 - x0);
  const ticks = [];
  for (let d = lo; d <= hi; d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (v <= 10 ** hi) ticks.push({ v, major: m === 1, labelled: m === 1 || hi - lo <= LABELLED_MINOR_DECADES });
    }
  }
  return { x, ticks };
}

function legend(keys, y) {
  const items = SERIES.filter(([k]) => keys.has(k));
  const out = [];
  let x = LEFT;
  let row = 0;
  for (const [, name, colour] of items) {
    const w = 30 + name.length * 7.5;
    if (x + w > WIDTH - 10) {
      x = LEFT;
      row++;
    }
    const yy = y + row * LEGEND_ROW;
    out.push(`<rect x="${x}" y="${yy - 9}" width="10" height="10" fill="${colour}"/><text x="${x + 14}" y="${yy}" font-size="11">${esc(name)}</text>`);
    x += w;
  }
  return { svg: out.join('\n'), height: (row + 1) * LEGEND_ROW };
}

/** One chart as SVG text. */
export function chartSvg(title, rows, note = '') {
  const keys = new Set(rows.flatMap((r) => r.bars.map(([k]) => k)));
  const colour = Object.fromEntries(SERIES.map(([k, , c]) => [k, c]));
  const leg = legend(keys, TOP + 4);
  const plotTop = TOP + leg.height + 8;
  const plotHeight = rows.reduce((h, r) => h + r.bars.length * (BAR + BAR_GAP) + GROUP_GAP, 0);
  const height = plotTop + plotHeight + AXIS + (note ? 16 : 0);
  const axis = logAxis(rows.flatMap((r) => r.bars.map(([, v]) => v)), LEFT, WIDTH - RIGHT);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="20" font-size="14" font-weight="600" text-anchor="middle">${esc(title)}</text>`,
    leg.svg,
  ];
  const axisY = plotTop + plotHeight;
  for (const { v, major, labelled } of axis.ticks) {
    const x = axis.x(v).toFixed(1);
    parts.push(`<line x1="${x}" y1="${plotTop}" x2="${x}" y2="${axisY}" stroke="${major ? '#bbb' : '#e4e4e4'}"/>`);
    if (labelled) parts.push(`<text x="${x}" y="${axisY + 14}" font-size="${major ? 11 : 9}" fill="${major ? '#000' : '#777'}" text-anchor="middle">${tickText(v)}</text>`);
  }
  parts.push(`<line x1="${LEFT}" y1="${axisY}" x2="${WIDTH - RIGHT}" y2="${axisY}" stroke="#000"/>`);
  parts.push(`<text x="${(LEFT + WIDTH - RIGHT) / 2}" y="${axisY + 32}" font-size="11" text-anchor="middle">ns per operation, log scale (shorter is faster)</text>`);
  let y = plotTop + GROUP_GAP / 2;
  for (const { row, bars } of rows) {
    const groupHeight = bars.length * (BAR + BAR_GAP);
    parts.push(`<text x="${LEFT - 8}" y="${(y + groupHeight / 2 + 4).toFixed(1)}" font-size="12" text-anchor="end">${esc(label(row))}</text>`);
    for (const [key, v] of bars) {
      const w = Math.max(1, axis.x(v) - LEFT);
      parts.push(`<rect class="bar" data-series="${key}" x="${LEFT}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" fill="${colour[key]}"><title>${esc(`${label(row)}, ${key}: ${fmt(v)} ns`)}</title></rect>`);
      parts.push(`<text x="${(LEFT + w + 3).toFixed(1)}" y="${y + BAR - 1}" font-size="9">${fmt(v)}</text>`);
      y += BAR + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  if (note) parts.push(`<text x="${LEFT}" y="${height - 6}" font-size="10" fill="#555">${esc(note)}</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

