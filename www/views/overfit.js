// @ts-check
// PBO of a sweep that kept its daily returns, its logit histogram and the deflated Sharpe
// of its best, all computed by the core from the store.
import { $, h, replace, table, num } from '../util.js';
import { drawHistogram } from '../charts.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  $('#pbo-form').addEventListener('submit', (event) => computePbo(ctx, event));
}

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  const select = $('#pbo-sweep');
  const chosen = select.value;
  replace(select, ctx.store.sweeps().map((s) => {
    const spec = JSON.parse(s.spec);
    return h('option', { value: s.id }, `#${s.id}: ${spec.symbol} ${spec.timeframe} ${spec.strategies.join('+')} (${s.with_returns}/${s.configs} with returns)`);
  }));
  if (chosen) select.value = chosen;
}

/** @param {import('../context.js').Context} ctx */
function computePbo(ctx, event) {
  event.preventDefault();
  $('#pbo-error').textContent = '';
  const f = new FormData(event.target);
  try {
    const r = ctx.store.overfitting(Number(f.get('sweep')), Number(f.get('blocks')));
    window.btlab.lastPbo = r;
    const d = r.deflated_sharpe;
    table($('#pbo-summary'), [{ title: 'figure', value: (x) => x[0], text: true }, { title: 'value', value: (x) => x[1] }], [
      ['PBO (probability of backtest overfitting)', num(r.pbo.pbo, 4)],
      ['probability of loss out of sample', num(r.pbo.probability_of_loss, 4)],
      ['configs × daily returns', `${r.pbo.configs} × ${r.pbo.periods}`],
      ['blocks, combinations', `${r.pbo.blocks}, ${r.pbo.combinations}`],
      ['best in sample', `experiment ${r.best_experiment} (daily Sharpe ${num(r.best_daily_sharpe, 4)})`],
      ['its deflated Sharpe', d ? `${num(d.probability, 4)} over ${d.trials} trials` : 'n/a'],
    ]);
    drawHistogram($('#pbo-histogram'), r.histogram);
  } catch (e) {
    $('#pbo-error').textContent = e.message;
  }
}
