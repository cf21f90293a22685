// @ts-check
// What several views show of experiments: the table columns and the deflated Sharpe line.
import { pct, num, formatMetric } from './util.js';

// A config's value of a sweep axis: a strategy param, or an order field by its dotted name
// (`stop_loss.pct`), undefined where unset.
export function axisValue(config, name) {
  if (name in config.params) return config.params[name];
  const [group, key] = name.split('.');
  return key ? config[group]?.[key] : config[group];
}

// The table's columns: the headline ones, then `extra` metrics (wasm.metrics() entries).
export function experimentColumns(extra = []) {
  return [
    { title: 'id', value: (e) => e.id },
    { title: 'hash', value: (e) => e.config_hash.slice(0, 10), text: true },
    { title: 'symbol', value: (e) => e.config.symbol, text: true },
    { title: 'tf', value: (e) => e.config.timeframe, text: true },
    { title: 'strategy', value: (e) => e.config.strategy, text: true },
    { title: 'params', value: (e) => JSON.stringify(e.config.params), text: true },
    { title: 'return', value: (e) => pct(e.metrics.total_return), sort: 'total_return' },
    { title: 'sharpe', value: (e) => num(e.metrics.sharpe_ratio), sort: 'sharpe_ratio' },
    { title: 'max dd', value: (e) => pct(e.metrics.max_drawdown), sort: 'max_drawdown' },
    { title: 'trades', value: (e) => e.metrics.total_trades, sort: 'total_trades' },
    { title: 'win rate', value: (e) => pct(e.metrics.win_rate), sort: 'win_rate' },
    ...extra.map((m) => ({ title: m.name.replaceAll('_', ' '), value: (e) => formatMetric(m.format, e.metrics[m.name]), sort: m.name })),
  ];
}

// The deflated Sharpe ratio of an experiment (re-run in a worker, deflated by its group's
// stored trials), the figure `btlab experiments top/show` and `btlab promote` print.
/** @param {import('./context.js').Context} ctx */
export async function showDeflated(ctx, el, e, prefix = '') {
  const dataset = ctx.datasetFor(e);
  const c = e.config;
  if (!dataset) {
    el.textContent = `${prefix}deflated Sharpe of experiment ${e.id}: needs its candles among the datasets`;
    return;
  }
  await ctx.pool.load(dataset);
  const d = await ctx.pool.deflated(c, ctx.store.trialSharpes(c.symbol, c.timeframe, c.strategy));
  el.dataset.probability = d ? d.probability : '';
  el.textContent = d
    ? `${prefix}deflated Sharpe ${d.probability.toFixed(4)} (experiment ${e.id}: best of ${d.trials} ${c.symbol} ${c.timeframe} ${c.strategy} trials, ` +
      `per-candle trial Sharpe variance ${d.trial_sharpe_variance.toExponential(3)}, skewness ${d.skewness.toFixed(2)}, kurtosis ${d.kurtosis.toFixed(2)}, ${d.observations} returns)`
    : `${prefix}deflated Sharpe of experiment ${e.id}: n/a (its returns never vary)`;
}
