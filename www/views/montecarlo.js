// @ts-check
// The detail view's Monte Carlo panel: the shown result's trades resampled in a worker by
// the core (the figures of `btlab experiments montecarlo`), the bands as a table and each
// resampling's fan of equity paths.
import { $, table, pct, num } from '../util.js';
import { drawFan } from '../charts.js';

let shown = { trades: [], asked: 0 };

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  $('#mc-form').addEventListener('submit', (event) => {
    event.preventDefault();
    run(ctx);
  });
}

/** Resamples `trades` (a result's) with the form's options. @param {import('../context.js').Context} ctx */
export function showMonteCarlo(ctx, trades) {
  shown = { ...shown, trades };
  run(ctx);
}

/** @param {import('../context.js').Context} ctx */
async function run(ctx) {
  const asked = ++shown.asked;
  const f = new FormData($('#mc-form'));
  const options = { runs: Number(f.get('runs')), seed: Number(f.get('seed')), ruin_drawdown: Number(f.get('ruin_drawdown')) };
  const status = $('#mc-status');
  table($('#mc-table'), [], []);
  for (const id of ['#mc-fan-shuffle', '#mc-fan-bootstrap']) $(id).getContext('2d').clearRect(0, 0, 9999, 9999);
  if (!shown.trades.length) {
    status.textContent = 'no trades to resample';
    return;
  }
  status.textContent = `resampling ${shown.trades.length} trades ${options.runs} times…`;
  let mc;
  try {
    mc = await ctx.pool.monteCarlo(shown.trades, options);
  } catch (e) {
    if (asked === shown.asked) status.textContent = e.message;
    return;
  }
  // A newer experiment (or run) was asked for meanwhile: its answer is the one to show.
  if (asked !== shown.asked) return;
  window.btlab.lastMonteCarlo = mc;
  status.textContent = `${mc.trades} trades, ${mc.options.runs} shuffles and ${mc.options.runs} bootstraps (seed ${mc.options.seed}); ` +
    `probability of a ${pct(mc.options.ruin_drawdown)} drawdown: ${mc.shuffle.ruin_probability.toFixed(4)} shuffled, ${mc.bootstrap.ruin_probability.toFixed(4)} bootstrapped`;
  const rows = [
    ['final return', mc.actual.final_return, 'final_return', pct],
    ['max drawdown', mc.actual.max_drawdown, 'max_drawdown', pct],
    ['longest losing streak', mc.actual.longest_losing_streak, 'longest_losing_streak', (x) => num(x, 1)],
  ];
  const band = (kind, p) => ({ title: `${kind} ${p}`, value: (r) => r[3](mc[kind][r[2]][p]) });
  table($('#mc-table'), [
    { title: 'figure', value: (r) => r[0], text: true },
    { title: 'actual', value: (r) => r[3](r[1]) },
    band('shuffle', 'p5'), band('shuffle', 'p50'), band('shuffle', 'p95'),
    band('bootstrap', 'p5'), band('bootstrap', 'p50'), band('bootstrap', 'p95'),
  ], rows);
  drawFan($('#mc-fan-shuffle'), 'shuffled', mc.shuffle, mc.actual_path);
  drawFan($('#mc-fan-bootstrap'), 'bootstrapped', mc.bootstrap, mc.actual_path);
}
