// @ts-check
// Two to four ticked experiments side by side, their equity curves overlaid with the buy and
// hold line of each market among them (a re-run's, where its candles are among the datasets).
import { $, h, table, formatMetric } from '../util.js';
import { drawLines, BUY_HOLD_STYLE } from '../charts.js';

const COLORS = ['#2962ff', '#b3261e', '#1d7a3a', '#8e24aa'];

export function mount() {}

/** @param {import('../context.js').Context} ctx */
export async function render(ctx) {
  const rows = [...ctx.compare].map((id) => ctx.store.get(`#${id}`));
  const fields = [
    ['strategy', (e) => e.config.strategy], ['params', (e) => JSON.stringify(e.config.params)],
    ['symbol / tf', (e) => `${e.config.symbol} ${e.config.timeframe}`], ['range', (e) => `${e.config.start} .. ${e.config.end}`],
    ...ctx.metrics.map((m) => [m.name, (e) => formatMetric(m.format, e.metrics[m.name])]),
  ];
  table($('#compare-table'), [
    { title: '', value: (f) => f[0], text: true },
    ...rows.map((e, i) => ({ title: `experiment ${e.id}`, value: (f) => h('span', { style: `color:${COLORS[i]}` }, String(f[1](e))) })),
  ], fields);
  const lines = rows.map((e, i) => ({
    name: `#${e.id}`, style: { color: COLORS[i] }, points: e.equity_curve.map((p) => ({ time: p.time, value: p.equity })),
  }));
  drawLines($('#compare-chart'), [...lines, ...await buyHoldLines(ctx, rows)]);
}

// One buy and hold line per market and capital among `rows`.
/** @param {import('../context.js').Context} ctx */
async function buyHoldLines(ctx, rows) {
  const markets = new Map();
  for (const e of rows) {
    const c = e.config;
    const key = `${e.data_fingerprint}|${c.start}|${c.end}|${c.initial_capital}`;
    if (!markets.has(key)) markets.set(key, e);
  }
  const lines = [];
  for (const e of markets.values()) {
    const dataset = ctx.datasetFor(e);
    if (!dataset) continue;
    await ctx.pool.load(dataset);
    const result = await ctx.pool.detail(e.config);
    lines.push({ name: `buy and hold ${e.config.symbol}`, style: BUY_HOLD_STYLE,
      points: result.buy_hold_curve.map((p) => ({ time: p.time, value: p.equity })) });
  }
  return lines;
}
