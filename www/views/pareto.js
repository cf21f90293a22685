// @ts-check
// Two objectives at once: every experiment as a point, the Pareto front (the core's, as
// `btlab experiments pareto` lists it) joined in order and tabled.
import { $, h, replace, table } from '../util.js';
import { experimentColumns } from '../experiments.js';
import { drawScatter } from '../charts.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  $('#pareto-strategy').append(...ctx.strategies.map((s) => h('option', { value: s.name }, s.name)));
  for (const [id, chosen] of [['#pareto-x', 'max_drawdown'], ['#pareto-y', 'sharpe_ratio']]) {
    replace($(id), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
    $(id).value = chosen;
  }
  $('#pareto-form').addEventListener('change', () => render(ctx));
}

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  const f = new FormData($('#pareto-form'));
  const filter = { strategy: String(f.get('strategy')) || null };
  const [x, y] = [String(f.get('x')), String(f.get('y'))];
  let front;
  try {
    front = ctx.store.pareto(filter, `${x},${y}`);
  } catch (e) {
    $('#pareto-info').textContent = e.message;
    return;
  }
  const all = ctx.store.list(filter, 'sharpe_ratio', 20000, 0);
  const point = (e) => ({ x: e.metrics[x], y: e.metrics[y] });
  drawScatter($('#pareto-chart'), all.map(point), front.map(point), ctx.metrics.find((m) => m.name === x), ctx.metrics.find((m) => m.name === y));
  $('#pareto-info').textContent = `${front.length} of ${ctx.store.count(filter)} experiments on the front of ${x} and ${y}` +
    (all.length < ctx.store.count(filter) ? ` (the first ${all.length} by Sharpe drawn)` : '');
  table($('#pareto-table'), experimentColumns(), front, { onRow: (e) => ctx.emit('open-experiment', e.id) });
}
