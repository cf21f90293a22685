// @ts-check
// A metric over two parameters (or order fields) of one strategy; green is better whichever
// way that is.
import { $, h, replace } from '../util.js';
import { drawHeatmap } from '../charts.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  replace($('#heat-strategy'), ctx.strategies.map((s) => h('option', { value: s.name }, s.name)));
  replace($('#heat-metric'), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
  for (const id of ['#heat-strategy', '#heat-x', '#heat-y', '#heat-metric']) $(id).addEventListener('change', () => render(ctx));
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
  const rows = ctx.store.list({ strategy }, 'sharpe_ratio', 20000, 0);
  const metric = ctx.metrics.find((m) => m.name === $('#heat-metric').value);
  drawHeatmap($('#heatmap'), rows, $('#heat-x').value, $('#heat-y').value, metric);
}
