// @ts-check
// A metric over two parameters (or order fields) of one strategy: each cell the mean over
// the experiments at that pair, green better whichever way that is; the plateau around the
// most stable cell (the core's stability scores of the cells) outlined.
import { $, h, replace } from '../util.js';
import { drawHeatmap } from '../charts.js';
import { drawSurface } from '../surface.js';
import { axisValue } from '../experiments.js';

// A cell is on the plateau when its value is this close to the most stable cell's, as a
// fraction of the map's range of values (a fraction of the value itself would make no
// plateau at all where the metric is near 0).
const TOLERANCE = 0.1;

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  replace($('#heat-strategy'), ctx.strategies.map((s) => h('option', { value: s.name }, s.name)));
  replace($('#heat-metric'), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
  for (const id of ['#heat-strategy', '#heat-x', '#heat-y', '#heat-metric', '#heat-surface']) $(id).addEventListener('change', () => render(ctx));
}

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  const strategy = $('#heat-strategy').value;
  const spec = ctx.strategies.find((s) => s.name === strategy);
  for (const [select, index] of /** @type {[string, number][]} */ ([['#heat-x', 0], ['#heat-y', 1]])) {
    const el = $(select);
    if (el.dataset.strategy !== strategy) {
      replace(el, [...spec.params.map((p) => p.name), ...ctx.orderFields.map((f) => f.name)].map((name) => h('option', { value: name }, name)));
      el.value = spec.params[Math.min(index, spec.params.length - 1)].name;
      el.dataset.strategy = strategy;
    }
  }
  const metric = ctx.metrics.find((m) => m.name === $('#heat-metric').value);
  const cells = meanCells(ctx.store.list({ strategy }, 'sharpe_ratio', 20000, 0), $('#heat-x').value, $('#heat-y').value, metric.name);
  const plateau = plateauOf(ctx, cells, metric);
  drawHeatmap($('#heatmap'), cells, $('#heat-x').value, $('#heat-y').value, metric, plateau);
  $('#heatmap').dataset.plateau = String(plateau.size);
  showSurface(cells, $('#heat-x').value, $('#heat-y').value, metric);
}

// The same cells as a surface, when asked for; a failure (no WebGL) said beside it.
function showSurface(cells, xName, yName, metric) {
  const wanted = $('#heat-surface').checked && cells.length > 0;
  const el = $('#surface');
  el.hidden = !wanted;
  $('#surface-status').textContent = '';
  if (!wanted) return;
  drawSurface(el, cells, xName, yName, metric)
    .then(() => { el.dataset.cells = String(cells.length); })
    .catch((e) => { el.hidden = true; $('#surface-status').textContent = e.message; });
}

// The mean of `metric` at each (x, y) pair present: [{x, y, value, n}].
function meanCells(rows, xName, yName, metric) {
  const cells = new Map();
  for (const r of rows) {
    const x = axisValue(r.config, xName);
    const y = axisValue(r.config, yName);
    const v = r.metrics[metric];
    if (x == null || y == null || v == null || !Number.isFinite(v)) continue;
    const key = `${x}|${y}`;
    const cell = cells.get(key) || { x, y, sum: 0, n: 0 };
    cell.sum += v;
    cell.n += 1;
    cells.set(key, cell);
  }
  return [...cells.values()].map((c) => ({ x: c.x, y: c.y, value: c.sum / c.n, n: c.n }));
}

// The cells joined to the most stable one (one step or less on both axes, as the core's
// neighbours are) whose value is within TOLERANCE of the range of its own: `x|y` keys.
/** @param {import('../context.js').Context} ctx */
function plateauOf(ctx, cells, metric) {
  if (!cells.length) return new Set();
  const scores = ctx.wasm.plateauScores(cells.map((c) => [c.x, c.y]), Float64Array.from(cells, (c) => c.value), metric.name, TOLERANCE);
  const oriented = (v) => (metric.higher_is_better ? v : -v);
  let best = 0;
  cells.forEach((_, i) => { if (oriented(scores[i].score) > oriented(scores[best].score)) best = i; });
  const xs = [...new Set(cells.map((c) => c.x))].sort((a, b) => a - b);
  const ys = [...new Set(cells.map((c) => c.y))].sort((a, b) => a - b);
  const at = new Map(cells.map((c) => [`${xs.indexOf(c.x)}|${ys.indexOf(c.y)}`, c]));
  const top = cells[best].value;
  const values = cells.map((c) => c.value);
  const range = Math.max(...values) - Math.min(...values);
  const near = (c) => Math.abs(c.value - top) <= TOLERANCE * range;
  const plateau = new Set();
  const queue = [[xs.indexOf(cells[best].x), ys.indexOf(cells[best].y)]];
  while (queue.length) {
    const [i, j] = queue.pop();
    const c = at.get(`${i}|${j}`);
    if (!c || plateau.has(`${c.x}|${c.y}`) || !near(c)) continue;
    plateau.add(`${c.x}|${c.y}`);
    for (const di of [-1, 0, 1]) for (const dj of [-1, 0, 1]) if (di || dj) queue.push([i + di, j + dj]);
  }
  return plateau;
}
