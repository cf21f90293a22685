// @ts-check
// The best experiments by a metric (or by its stability over their grid neighbours, as
// `btlab experiments top --robust` ranks), and the deflated Sharpe of the first.
import { $, h, replace, table, formatMetric } from '../util.js';
import { experimentColumns, showDeflated } from '../experiments.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  replace($('#top-metric'), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
  for (const id of ['#top-n', '#top-metric', '#top-robust']) $(id).addEventListener('change', () => render(ctx));
}

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  const n = Number($('#top-n').value) || 10;
  const metric = ctx.metrics.find((m) => m.name === $('#top-metric').value);
  const robust = $('#top-robust').checked;
  const rows = robust ? ctx.store.robustTop(metric.name, n, null, 0.1) : ctx.store.top(metric.name, n, null);
  const show = (v) => formatMetric(metric.format, v);
  const stability = robust ? [
    { title: `${metric.name} stability`, value: (e) => show(e.stability.score) },
    { title: 'neighbours', value: (e) => e.stability.neighbours },
    { title: 'their worst', value: (e) => show(e.stability.neighbour_worst) },
    { title: 'within 10%', value: (e) => (e.stability.share_within == null ? 'n/a' : `${Math.round(e.stability.share_within * 100)}%`) },
  ] : [];
  table($('#top-table'), [...experimentColumns(), ...stability], rows, { onRow: (e) => ctx.emit('open-experiment', e.id) });
  $('#top-dsr').textContent = '';
  if (rows.length) showDeflated(ctx, $('#top-dsr'), rows[0], '#1: ');
}
