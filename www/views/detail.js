// @ts-check
// One experiment: config, metrics, the full re-run's charts and trades (checked against the
// stored hash and metrics), its deflated Sharpe, a link and the hand-off to btlab promote.
// A shared link's re-run is shown here too, as what it is.
import { $, table, download, formatMetric } from '../util.js';
import { drawDetailCharts } from '../charts.js';
import { showTrades } from './trades.js';
import { mount as mountMonteCarlo, showMonteCarlo } from './montecarlo.js';
import { showDeflated, axisValue } from '../experiments.js';
import { copyLink } from '../sharing.js';
import { datasetIdentity } from '../links.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  ctx.on('open-experiment', (id) => openDetail(ctx, id));
  ctx.on('shared-experiment', (shared) => showShared(ctx, shared));
  mountMonteCarlo(ctx);
}

export function render() {}

/** @param {import('../context.js').Context} ctx */
async function openDetail(ctx, id) {
  ctx.show('detail');
  const e = ctx.store.get(`#${id}`);
  $('#detail-title').textContent = `Experiment ${e.id}: ${e.config.symbol} ${e.config.timeframe} ${e.config.strategy}`;
  $('#link-out').hidden = true;
  $('#promote-command').hidden = true;
  $('#detail-actions').hidden = false;
  $('#copy-link').onclick = () => copyExperimentLink(ctx, e).catch((err) => { $('#detail-check').textContent = err.message; });
  $('#promote-bundle').onclick = () => exportBundle(ctx, e);
  $('#download-report').onclick = () => downloadReport(ctx, e).catch((err) => { $('#detail-check').textContent = err.message; });
  renderTables(ctx, e);
  const check = $('#detail-check');
  check.className = '';
  check.textContent = 're-running for the full curve and trades…';
  // Full detail is one deterministic re-run away, on a dataset with the same candles.
  const dataset = ctx.datasetFor(e);
  $('#detail-dsr').textContent = '';
  showDeflated(ctx, $('#detail-dsr'), e);
  if (!dataset) {
    check.textContent = `the candles of this experiment (fingerprint ${e.data_fingerprint.slice(0, 16)}) are not among the datasets: stored curve only`;
    drawDetailCharts({ equity: e.equity_curve, trades: [], candles: null });
    showTrades([]);
    showMonteCarlo(ctx, []);
    return;
  }
  await ctx.pool.load(dataset);
  const result = await ctx.pool.detail(e.config);
  const same = result.config_hash === e.config_hash && result.metrics.sharpe_ratio === e.metrics.sharpe_ratio;
  check.className = same ? 'match' : 'mismatch';
  check.textContent = same ? `re-run matches: config_hash ${result.config_hash.slice(0, 16)}…, same metrics`
    : `MISMATCH: the re-run gives config_hash ${result.config_hash} and Sharpe ${result.metrics.sharpe_ratio}`;
  renderResult(ctx, e.config, result, dataset);
}

// A shared link's experiment, re-run here: not stored, checked against the link.
/** @param {import('../context.js').Context} ctx */
async function showShared(ctx, { payload, dataset, error }) {
  ctx.show('detail');
  const check = $('#detail-check');
  if (error) {
    check.className = 'mismatch';
    check.textContent = error;
    return;
  }
  try {
    const c = payload.config;
    $('#detail-title').textContent = `Shared experiment: ${c.symbol} ${c.timeframe} ${c.strategy}`;
    await ctx.pool.load(dataset);
    const result = await ctx.pool.detail(c);
    const problems = [];
    if (result.data_fingerprint !== payload.dataset.fingerprint) problems.push(`data fingerprint ${result.data_fingerprint.slice(0, 16)} ≠ the link's ${payload.dataset.fingerprint.slice(0, 16)}`);
    if (result.config_hash !== payload.config_hash) problems.push(`config_hash ${result.config_hash.slice(0, 16)} ≠ the link's ${String(payload.config_hash).slice(0, 16)} (the config was changed after the link was made)`);
    check.className = problems.length ? 'mismatch' : 'match';
    check.textContent = problems.length ? `MISMATCH: ${problems.join('; ')}` : `reproduced: config_hash ${result.config_hash.slice(0, 16)}… and data fingerprint match the link`;
    window.btlab.linkResult = { result, ok: !problems.length };
    $('#detail-actions').hidden = true;
    renderTables(ctx, result);
    renderResult(ctx, result.config, result, dataset);
  } catch (e) {
    check.className = 'mismatch';
    check.textContent = e.message;
  }
}

/** @param {import('../context.js').Context} ctx */
function renderTables(ctx, e) {
  const c = e.config;
  const orders = ctx.orderFields.map((f) => [f.name, axisValue(c, f.name)]).filter(([, v]) => v != null);
  table($('#detail-config'), [{ title: 'field', value: (r) => r[0], text: true }, { title: 'value', value: (r) => r[1], text: true }], [
    ['config_hash', e.config_hash], ['params', JSON.stringify(c.params)], ['range', `${c.start} .. ${c.end}`],
    ['stops and sizing', orders.length ? orders.map(([k, v]) => `${k} ${v}`).join(', ') : 'none'],
    ['capital', c.initial_capital], ['fee / slippage (bps)', `${c.fee_bps} / ${c.slippage_bps}`], ['shorts', c.allow_short ? 'allowed' : 'off'],
    ['data fingerprint', e.data_fingerprint.slice(0, 16)], ['candles', e.candles],
  ]);
  table($('#detail-metrics'), [{ title: 'metric', value: (r) => r[0], text: true }, { title: 'value', value: (r) => r[1] }],
    ctx.metrics.map((m) => [m.name, formatMetric(m.format, e.metrics[m.name])]));
}

// The charts and trades of `config`'s full re-run (a stored experiment's, or a shared link's).
/** @param {import('../context.js').Context} ctx */
function renderResult(ctx, c, result, dataset) {
  drawDetailCharts({ equity: result.equity_curve, buyHold: result.buy_hold_curve, trades: result.trades, candles: dataset.columns, range: [Date.parse(c.start), Date.parse(c.end)] });
  showTrades(result.trades);
  showMonteCarlo(ctx, result.trades);
}

/** @param {import('../context.js').Context} ctx */
async function copyExperimentLink(ctx, e) {
  const c = e.config;
  const dataset = ctx.datasetFor(e);
  if (!dataset) throw new Error('the candles of this experiment are not among the datasets: a link could not bring them');
  // A defined strategy's definition travels in the link: the receiving page has none.
  const definition = c.definition ? ctx.store.definitions().find((d) => d.hash === c.definition)?.source : undefined;
  await copyLink(ctx, { v: 1, kind: 'experiment', config: c, config_hash: e.config_hash, ...(definition ? { definition } : {}),
    dataset: datasetIdentity(ctx.wasm, dataset, c.timeframe, c.start, c.end) });
}

// The report `btlab report` writes for this experiment, rendered by a worker's engine.
/** @param {import('../context.js').Context} ctx */
async function downloadReport(ctx, e) {
  const dataset = ctx.datasetFor(e);
  if (!dataset) throw new Error('the candles of this experiment are not among the datasets: a report needs its trades');
  await ctx.pool.load(dataset);
  const html = await ctx.pool.report(e.config, ctx.store.evidence(`#${e.id}`));
  download(`btlab-report-${e.config_hash.slice(0, 12)}.html`, new Blob([html], { type: 'text/html' }));
}

// A promotion bundle: the experiment with its config, metrics and data identity, and the
// trials of its group for the deflated Sharpe; `btlab promote --bundle` reads it.
/** @param {import('../context.js').Context} ctx */
function exportBundle(ctx, e) {
  const c = e.config;
  const dataset = ctx.datasetFor(e);
  const bundle = {
    format: 'btlab-promotion-bundle', version: 1, exported_at: new Date().toISOString(),
    experiment: e,
    dataset: dataset ? datasetIdentity(ctx.wasm, dataset, c.timeframe, c.start, c.end) : { symbol: c.symbol, timeframe: c.timeframe, fingerprint: e.data_fingerprint },
    trial_sharpes: Array.from(ctx.store.trialSharpes(c.symbol, c.timeframe, c.strategy)),
  };
  const profile = $('#promote-profile').value.trim() || 'scalp';
  const file = `btlab-promotion-${e.config_hash.slice(0, 12)}.json`;
  download(file, new Blob([JSON.stringify(bundle, null, 1)], { type: 'application/json' }));
  const source = bundle.dataset.source;
  const data = source === 'embedded' ? '' : source === 'sample' ? ' --data tests/data/BTCUSDT-15m-2025.csv' : ` --data ${bundle.dataset.name || 'CANDLES.csv'}`;
  const command = `btlab promote --bundle ${file} ${profile}${data}`;
  $('#promote-command').hidden = false;
  $('#promote-command').textContent = `${command}\n# or with the exported .sqlite: btlab promote ${e.config_hash.slice(0, 12)} ${profile} --db btlab-experiments.sqlite${data}`;
  window.btlab.lastBundle = { bundle, command };
}
