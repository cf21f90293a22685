// @ts-check
// Two to four ticked experiments side by side, their equity curves overlaid.
import { $, h, table } from '../util.js';
import { drawLines } from '../charts.js';

const COLORS = ['#2962ff', '#b3261e', '#1d7a3a', '#8e24aa'];

export function mount() {}

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  const rows = [...ctx.compare].map((id) => ctx.store.get(`#${id}`));
  const metrics = rows.length ? Object.keys(rows[0].metrics) : [];
  const fields = [
    ['strategy', (e) => e.config.strategy], ['params', (e) => JSON.stringify(e.config.params)],
    ['symbol / tf', (e) => `${e.config.symbol} ${e.config.timeframe}`], ['range', (e) => `${e.config.start} .. ${e.config.end}`],
    ...metrics.map((m) => [m, (e) => { const v = e.metrics[m]; return typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(4)) : String(v); }]),
  ];
  table($('#compare-table'), [
    { title: '', value: (f) => f[0], text: true },
    ...rows.map((e, i) => ({ title: `experiment ${e.id}`, value: (f) => h('span', { style: `color:${COLORS[i]}` }, String(f[1](e))) })),
  ], fields);
  drawLines($('#compare-chart'), rows.map((e, i) => ({
    name: `#${e.id}`, color: COLORS[i], points: e.equity_curve.map((p) => ({ time: p.time, value: p.equity })),
  })));
}
