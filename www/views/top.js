// @ts-check
// The best experiments by a metric, and the deflated Sharpe of the first.
import { $, h, replace, table } from '../util.js';
import { experimentColumns, showDeflated } from '../experiments.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  replace($('#top-metric'), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
  for (const id of ['#top-n', '#top-metric']) $(id).addEventListener('change', () => render(ctx));
}

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  const rows = ctx.store.top($('#top-metric').value, Number($('#top-n').value) || 10, null);
  table($('#top-table'), experimentColumns(), rows, { onRow: (e) => ctx.emit('open-experiment', e.id) });
  $('#top-dsr').textContent = '';
  if (rows.length) showDeflated(ctx, $('#top-dsr'), rows[0], '#1: ');
}
