// btlab's page: the store and the generators run here (wasm + sql.js), the backtests in a
// pool of workers. Every experiment shown as done has been logged to IndexedDB first.
import init, * as wasm from './pkg/btlab_web.js';
import { Persistence, idb } from './persist.js';
import { Pool } from './pool.js';
import { Datasets, downloadPlan } from './datasets.js';
import { drawDetailCharts, drawHeatmap, drawLine, drawLines, drawHistogram, drawProgress } from './charts.js';
import { encodeLink, decodeLink, datasetIdentity } from './links.js';
import { $, h, replace, table, pct, num, isoDate, isoTime, download } from './util.js';

const TIMEFRAMES = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d'];
const PAGE = 50;

const state = {
  results: { filter: {}, sort: 'sharpe_ratio', offset: 0 },
  sweep: null, // the running sweep: { cancelled }
  compare: new Set(), // experiment ids ticked for the comparison view
};
const COLORS = ['#2962ff', '#b3261e', '#1d7a3a', '#8e24aa'];

let store, persist, pool, datasets, strategies, grids;

function setStatus(text) {
  $('#status').textContent = text;
}

function show(view) {
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${view}`;
  for (const button of document.querySelectorAll('#tabs button')) {
    button.classList.toggle('active', button.dataset.view === view);
    if (button.dataset.view === 'detail' && view === 'detail') button.hidden = false;
  }
  refresh(view);
}

function refresh(view) {
  const current = view || document.querySelector('#tabs button.active').dataset.view;
  ({ results: renderResults, top: renderTop, summary: renderSummary, errors: renderErrors, datasets: renderDatasets, heatmap: renderHeatmap, overfit: renderOverfit, compare: renderCompare }[current] || (() => {}))();
}

// ---- the sweep builder -------------------------------------------------------------------

// An axis as typed: `5, 10, 20` (values), `5..50 step 5` (ints), `0.1..0.9 num 5` (floats),
// `10..400 log 8` (log-spaced), or one value.
function parseAxis(text, kind) {
  const t = text.trim();
  let m;
  if ((m = /^(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s+step\s+([\d.]+)$/.exec(t))) return { type: 'int', min: +m[1], max: +m[2], step: +m[3] };
  if ((m = /^(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s+log\s+(\d+)$/.exec(t))) return { type: 'loguniform', min: +m[1], max: +m[2], num: +m[3] };
  if ((m = /^(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s+num\s+(\d+)$/.exec(t))) return { type: 'float', min: +m[1], max: +m[2], num: +m[3] };
  if ((m = /^(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)$/.exec(t))) return kind === 'int' ? { type: 'int', min: +m[1], max: +m[2], step: 1 } : { type: 'float', min: +m[1], max: +m[2] };
  const values = t.split(',').map((v) => v.trim()).filter(Boolean).map(Number);
  if (!values.length || values.some(Number.isNaN)) throw new Error(`cannot read the axis "${text}"`);
  return values;
}

function axisText(axis) {
  if (Array.isArray(axis)) return axis.join(', ');
  if (axis.type === 'int') return `${axis.min}..${axis.max} step ${axis.step ?? 1}`;
  if (axis.type === 'loguniform') return `${axis.min}..${axis.max} log ${axis.num ?? 5}`;
  if (axis.type === 'float') return `${axis.min}..${axis.max} num ${axis.num ?? 5}`;
  return (axis.values || []).join(', ');
}

function renderAxes(preset = true) {
  const name = $('#sweep-strategy').value;
  const strategy = strategies.find((s) => s.name === name);
  const grid = grids[name] || {};
  replace($('#param-axes'), strategy.params.map((p) => h('label', { class: 'axis', title: p.description },
    p.name, h('input', { name: `axis-${p.name}`, 'data-kind': p.type, value: preset && grid[p.name] ? axisText(grid[p.name]) : String(p.default) }))));
  updateCount();
}

function readSpec() {
  const form = $('#sweep-form');
  const f = new FormData(form);
  const dataset = currentDataset();
  const strategy = f.get('strategy');
  const axes = {};
  for (const input of form.querySelectorAll('#param-axes input')) axes[input.name.slice(5)] = parseAxis(input.value, input.dataset.kind);
  return {
    symbol: dataset ? dataset.symbol : 'DEMO-BTC',
    timeframe: f.get('timeframe'),
    start: f.get('start'),
    end: f.get('end'),
    strategies: [strategy],
    param_grids: { [strategy]: axes },
    search: f.get('search'),
    n_samples: Number(f.get('n_samples')),
    seed: Number(f.get('seed')),
    initial_capital: Number(f.get('initial_capital')),
    fee_bps: Number(f.get('fee_bps')),
    slippage_bps: Number(f.get('slippage_bps')),
    allow_short: f.get('allow_short') === 'on',
  };
}

function updateCount() {
  try {
    const sweep = new wasm.Sweep(readSpec());
    $('#sweep-count').textContent = `${sweep.size} configs (${sweep.sizeBeforeConstraints} combinations before constraints)`;
    sweep.free();
    $('#sweep-error').textContent = '';
  } catch (e) {
    $('#sweep-count').textContent = '';
    $('#sweep-error').textContent = e.message;
  }
}

let datasetCache = [];
function currentDataset() {
  return datasetCache.find((d) => d.id === $('#sweep-dataset').value);
}

async function runSweep(event) {
  event.preventDefault();
  if (state.sweep) return;
  $('#sweep-error').textContent = '';
  let spec, sweep, fingerprint;
  const dataset = currentDataset();
  try {
    spec = readSpec();
    sweep = new wasm.Sweep(spec);
    fingerprint = wasm.marketFingerprint(dataset.columns, spec.timeframe, Date.parse(spec.start), Date.parse(spec.end));
  } catch (e) {
    $('#sweep-error').textContent = e.message;
    return;
  }
  const form = new FormData($('#sweep-form'));
  const edge = form.get('on_edge') === 'on' ? String(form.get('edge_url')).trim().replace(/\/$/, '') : null;
  const keepReturns = form.get('keep_returns') === 'on';
  if (keepReturns && edge) {
    $('#sweep-error').textContent = 'keeping daily returns needs every candle\'s equity: run this sweep in the page, not on the edge';
    sweep.free();
    return;
  }
  const sweepId = keepReturns ? JSON.stringify(spec) : null;
  const run = (state.sweep = { cancelled: false });
  const total = sweep.size;
  const counts = { stored: 0, skipped: 0, failed: 0, done: 0 };
  const started = performance.now();
  $('#progress').hidden = false;
  $('#run').disabled = true;
  $('#cancel').disabled = false;
  const progress = () => {
    const seconds = (performance.now() - started) / 1000;
    const rate = counts.done / Math.max(seconds, 1e-3);
    const eta = rate > 0 ? (total - counts.done) / rate : 0;
    $('#progress-bar').value = total ? counts.done / total : 1;
    $('#progress-text').textContent = `${counts.done}/${total} configs · ${rate.toFixed(0)}/s · ETA ${eta.toFixed(1)}s · ` +
      `${counts.stored} new, ${counts.skipped} already stored, ${counts.failed} failed`;
  };
  progress();
  try {
    await pool.load(dataset);
    const chunkSize = Math.max(25, Math.min(500, Math.ceil(total / (pool.size * 4))));
    let sinceFold = 0;
    const lane = async () => {
      while (!run.cancelled) {
        const chunk = sweep.nextChunk(chunkSize);
        if (chunk === '[]') return;
        const plan = store.planChunk(chunk, fingerprint, keepReturns);
        const outcomes = !plan.hashes.length ? null : edge ? await runOnEdge(edge, plan.to_run) : await pool.run(plan.to_run, keepReturns);
        if (run.cancelled) return;
        const members = keepReturns ? { spec: sweepId, fingerprint, members: plan.members } : null;
        const [inserted, already, failed] = await persist.append(outcomes, plan.hashes, plan.refused, members);
        counts.stored += inserted;
        counts.failed += failed;
        counts.skipped += plan.already_stored + already;
        const taken = plan.already_stored + plan.hashes.length + plan.refused.length;
        counts.done += taken;
        progress();
        if (++sinceFold >= 40) {
          sinceFold = 0;
          persist.fold();
        }
      }
    };
    await Promise.all(Array.from({ length: pool.size * 2 }, lane));
    await persist.fold();
    setStatus(run.cancelled ? 'sweep cancelled: what finished is stored' : `sweep done: ${counts.stored} new experiments`);
  } catch (e) {
    if (!run.cancelled) $('#sweep-error').textContent = e.message;
  } finally {
    sweep.free();
    state.sweep = null;
    $('#run').disabled = false;
    $('#cancel').disabled = true;
    progress();
    refresh();
  }
}

// A chunk on the edge worker's /batch-backtest: the same outcomes as a worker's. Each
// result must carry the hash computed here, or the edge ran on other candles: refused
// before anything is logged.
// The edge's outcomes of a chunk; recordChunk checks their hashes against this page's.
async function runOnEdge(base, configs) {
  const response = await fetch(`${base}/batch-backtest`, { method: 'POST', body: `{"configs":${configs}}`, headers: { 'content-type': 'application/json' } });
  const reply = await response.json();
  if (!response.ok) throw new Error(`${base} answered ${response.status}: ${reply.error}`);
  return JSON.stringify(reply.results);
}

function cancelSweep() {
  if (!state.sweep) return;
  state.sweep.cancelled = true;
  pool.cancel();
}

// ---- results, top, summary, errors -------------------------------------------------------

function experimentColumns() {
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
  ];
}

function compareColumn() {
  return {
    title: '⊕',
    value: (e) => h('input', {
      type: 'checkbox', class: 'compare', title: 'compare', checked: state.compare.has(e.id),
      onclick: (event) => {
        event.stopPropagation();
        if (event.target.checked && state.compare.size >= 4) { event.target.checked = false; return; }
        if (event.target.checked) state.compare.add(e.id); else state.compare.delete(e.id);
        updateCompareButton();
      },
    }),
  };
}

function updateCompareButton() {
  const n = state.compare.size;
  $('#compare-button').disabled = n < 2;
  $('#compare-button').textContent = `Compare the ticked (${n}/4)`;
}

function renderResults() {
  const { filter, sort, offset } = state.results;
  const rows = store.list(filter, sort, PAGE, offset);
  const total = store.count(filter);
  table($('#results-table'), [compareColumn(), ...experimentColumns()], rows, {
    onRow: (e) => openDetail(e.id),
    onSort: (metric) => { state.results.sort = metric; state.results.offset = 0; renderResults(); },
  });
  $('#results-table').dataset.sort = sort;
  $('#page-info').textContent = total ? `${offset + 1}-${offset + rows.length} of ${total}, by ${sort}` : 'no experiments';
}

function readFilter(event) {
  event.preventDefault();
  const f = new FormData(event.target);
  const thresholds = [];
  if (f.get('min_sharpe') !== '') thresholds.push({ metric: 'sharpe_ratio', min: Number(f.get('min_sharpe')) });
  if (f.get('max_drawdown') !== '') thresholds.push({ metric: 'max_drawdown', max: Number(f.get('max_drawdown')) });
  state.results.filter = { symbol: f.get('symbol') || null, strategy: f.get('strategy') || null, thresholds };
  state.results.offset = 0;
  renderResults();
}

function renderTop() {
  const rows = store.top($('#top-metric').value, Number($('#top-n').value) || 10, null);
  table($('#top-table'), experimentColumns(), rows, { onRow: (e) => openDetail(e.id) });
  $('#top-dsr').textContent = '';
  if (rows.length) showDeflated($('#top-dsr'), rows[0], '#1: ');
}

// The dataset holding the candles an experiment ran on (same symbol and fingerprint).
function datasetFor(e) {
  const c = e.config;
  return datasetCache.find((d) => d.symbol === c.symbol && (() => {
    try { return wasm.marketFingerprint(d.columns, c.timeframe, Date.parse(c.start), Date.parse(c.end)) === e.data_fingerprint; } catch { return false; }
  })());
}

// The deflated Sharpe ratio of an experiment (re-run in a worker, deflated by its group's
// stored trials), the figure `btlab experiments top/show` and `btlab promote` print.
async function showDeflated(el, e, prefix = '') {
  const dataset = datasetFor(e);
  const c = e.config;
  if (!dataset) {
    el.textContent = `${prefix}deflated Sharpe of experiment ${e.id}: needs its candles among the datasets`;
    return;
  }
  await pool.load(dataset);
  const d = await pool.deflated(c, store.trialSharpes(c.symbol, c.timeframe, c.strategy));
  el.dataset.probability = d ? d.probability : '';
  el.textContent = d
    ? `${prefix}deflated Sharpe ${d.probability.toFixed(4)} (experiment ${e.id}: best of ${d.trials} ${c.symbol} ${c.timeframe} ${c.strategy} trials, ` +
      `per-candle trial Sharpe variance ${d.trial_sharpe_variance.toExponential(3)}, skewness ${d.skewness.toFixed(2)}, kurtosis ${d.kurtosis.toFixed(2)}, ${d.observations} returns)`
    : `${prefix}deflated Sharpe of experiment ${e.id}: n/a (its returns never vary)`;
}

function renderSummary() {
  const s = store.summary();
  table($('#summary-table'), [
    { title: 'symbol', value: (g) => g.symbol, text: true },
    { title: 'tf', value: (g) => g.timeframe, text: true },
    { title: 'strategy', value: (g) => g.strategy, text: true },
    { title: 'experiments', value: (g) => g.experiments },
    { title: 'profitable', value: (g) => g.profitable },
    { title: 'mean sharpe', value: (g) => num(g.mean_sharpe) },
    { title: 'best sharpe', value: (g) => num(g.best_sharpe) },
    { title: 'mean return', value: (g) => pct(g.mean_return) },
    { title: 'best return', value: (g) => pct(g.best_return) },
  ], s.groups);
  $('#summary-totals').textContent = `${s.experiments} experiments, ${s.errors} errors`;
}

function renderErrors() {
  table($('#errors-table'), [
    { title: 'id', value: (r) => r.id },
    { title: 'config', value: (r) => JSON.stringify(r.config), text: true },
    { title: 'error', value: (r) => r.message, text: true },
    { title: 'when', value: (r) => isoTime(r.created_at), text: true },
  ], store.errors(200));
}

function renderHeatmap() {
  const strategy = $('#heat-strategy').value;
  const spec = strategies.find((s) => s.name === strategy);
  for (const [select, index] of [['#heat-x', 0], ['#heat-y', 1]]) {
    const el = $(select);
    if (el.dataset.strategy !== strategy) {
      replace(el, spec.params.map((p) => h('option', { value: p.name }, p.name)));
      el.value = spec.params[Math.min(index, spec.params.length - 1)].name;
      el.dataset.strategy = strategy;
    }
  }
  const rows = store.list({ strategy }, 'sharpe_ratio', 20000, 0);
  const metric = wasm.metrics().find((m) => m.name === $('#heat-metric').value);
  drawHeatmap($('#heatmap'), rows, $('#heat-x').value, $('#heat-y').value, metric);
}

// ---- comparison --------------------------------------------------------------------------

function renderCompare() {
  const rows = [...state.compare].map((id) => store.get(`#${id}`));
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

// ---- the optimizer in the page -----------------------------------------------------------

// The loop of `btlab optimize`: the core's OptimizerLoop (in wasm) reads this market's and
// strategy's history from the store and picks each batch; the workers run it, the log
// stores it, and the loop says when it has converged.
async function runOptimizer(event) {
  event.preventDefault();
  $('#opt-error').textContent = '';
  const f = new FormData(event.target);
  const target = f.get('target');
  const iterations = Number(f.get('iterations'));
  const batch = Number(f.get('batch'));
  const seed = BigInt(f.get('seed'));
  const sampler = f.get('sampler');
  const patience = Number(f.get('patience'));
  const convergence = Number(f.get('convergence'));
  const dataset = currentDataset();
  let spec, template, fingerprint;
  try {
    spec = readSpec();
    const strategy = strategies.find((x) => x.name === spec.strategies[0]);
    template = {
      symbol: spec.symbol, timeframe: spec.timeframe, start: spec.start, end: spec.end, strategy: strategy.name,
      params: Object.fromEntries(strategy.params.map((p) => [p.name, p.default])),
      initial_capital: spec.initial_capital, fee_bps: spec.fee_bps, slippage_bps: spec.slippage_bps, allow_short: spec.allow_short,
    };
    fingerprint = wasm.marketFingerprint(dataset.columns, spec.timeframe, Date.parse(spec.start), Date.parse(spec.end));
  } catch (e) {
    $('#opt-error').textContent = e.message;
    return;
  }
  const grid = JSON.stringify(spec.param_grids[template.strategy]);
  const trajectory = [];
  $('#opt-run').disabled = true;
  window.btlab.lastOptimization = null;
  let optimizer;
  try {
    await pool.load(dataset);
    optimizer = new wasm.Optimizer(store, template, fingerprint, grid, target, sampler, seed, batch, convergence, patience);
    for (let iteration = 1; iteration <= iterations; iteration++) {
      const { configs, hashes } = optimizer.next(store);
      if (!hashes.length) break;
      const outcomes = await pool.run(configs);
      await persist.append(outcomes, hashes, []);
      const step = optimizer.observe(store);
      trajectory.push({ iteration, evaluated: step.evaluated, best: step.best });
      drawProgress($('#opt-chart'), trajectory.map((t) => t.best));
      $('#opt-status').textContent = `iteration ${iteration}/${iterations}: ${step.evaluated} evaluated, best ${target} ${step.best.toFixed(4)}`;
      if (step.converged) break;
    }
    await persist.fold();
    table($('#opt-trajectory'), [
      { title: 'iteration', value: (t) => t.iteration }, { title: 'evaluated', value: (t) => t.evaluated },
      { title: `best ${target}`, value: (t) => t.best.toFixed(4) },
    ], trajectory);
    window.btlab.lastOptimization = { trajectory, best: trajectory.length ? trajectory[trajectory.length - 1].best : null };
    $('#opt-status').textContent += ' · done';
  } catch (e) {
    $('#opt-error').textContent = e.message;
  } finally {
    optimizer?.free();
    $('#opt-run').disabled = false;
  }
}

// ---- links and the hand-off to btlab promote ---------------------------------------------

async function copyLink(payload) {
  const link = await encodeLink(payload);
  const out = $('#link-out');
  out.hidden = false;
  out.value = link;
  try { await navigator.clipboard.writeText(link); } catch { /* the field shows it */ }
  window.btlab.lastLink = link;
  return link;
}

async function copyExperimentLink(e) {
  const c = e.config;
  const dataset = datasetFor(e);
  if (!dataset) throw new Error('the candles of this experiment are not among the datasets: a link could not bring them');
  await copyLink({ v: 1, kind: 'experiment', config: c, config_hash: e.config_hash, dataset: datasetIdentity(wasm, dataset, c.timeframe, c.start, c.end) });
}

async function copySweepLink() {
  const spec = readSpec();
  const dataset = currentDataset();
  const link = await copyLink({ v: 1, kind: 'sweep', spec, dataset: datasetIdentity(wasm, dataset, spec.timeframe, spec.start, spec.end) });
  $('#sweep-link-status').textContent = `link copied: ${link.length} characters`;
}

// The dataset a link names: one already here with the same candles, or the same source
// loaded again (the demo, the shipped sample, a Binance download).
async function linkedDataset(id) {
  const match = () => datasetCache.find((d) => {
    try { return wasm.marketFingerprint(d.columns, id.timeframe, Date.parse(id.start), Date.parse(id.end)) === id.fingerprint; } catch { return false; }
  });
  datasetCache = await datasets.list();
  let found = match();
  if (found) return found;
  if (id.source === 'sample') await datasets.loadSample();
  else if (id.origin) {
    // A link names where its candles come from; only Binance's public API is fetched
    // without asking, and never more than the download cap.
    const plan = downloadPlan(id.origin);
    const ask = `This link's candles (${id.symbol} ${id.timeframe}, up to ${plan.rows} candles in ${plan.requests} requests) ` +
      `come from ${plan.host}, which is not Binance's public API.\n\nDownload them from ${plan.host}?`;
    if (!plan.binance && !window.confirm(ask)) throw new Error(`not downloaded: this link's candles come from ${plan.host}, and you declined`);
    await datasets.download(id.origin, () => {});
  }
  else if (id.source === 'embedded') await datasets.ensureDemo();
  datasetCache = await datasets.list();
  found = match();
  if (found) return found;
  const same = datasetCache.find((d) => d.symbol === id.symbol);
  throw new Error(`this link's candles (${id.symbol} ${id.timeframe}, ${id.start} .. ${id.end}, from ${id.source} "${id.name}", fingerprint ` +
    `${id.fingerprint.slice(0, 16)}) are not here${same ? ': the local ' + id.symbol + ' candles differ (fingerprint mismatch)' : ''}; import that file in Datasets and open the link again`);
}

async function openLink(hash) {
  let payload;
  try {
    payload = await decodeLink(hash);
  } catch (e) {
    setStatus(`this link cannot be read: ${e.message}`);
    return;
  }
  if (!payload) return;
  try {
    const dataset = await linkedDataset(payload.dataset);
    await renderDatasets();
    if (payload.kind === 'sweep') return loadSweepFromLink(payload, dataset);
    show('detail');
    const c = payload.config;
    $('#detail-title').textContent = `Shared experiment: ${c.symbol} ${c.timeframe} ${c.strategy}`;
    await pool.load(dataset);
    const result = await pool.detail(c);
    const problems = [];
    if (result.data_fingerprint !== payload.dataset.fingerprint) problems.push(`data fingerprint ${result.data_fingerprint.slice(0, 16)} ≠ the link's ${payload.dataset.fingerprint.slice(0, 16)}`);
    if (result.config_hash !== payload.config_hash) problems.push(`config_hash ${result.config_hash.slice(0, 16)} ≠ the link's ${String(payload.config_hash).slice(0, 16)} (the config was changed after the link was made)`);
    const check = $('#detail-check');
    check.className = problems.length ? 'mismatch' : 'match';
    check.textContent = problems.length ? `MISMATCH: ${problems.join('; ')}` : `reproduced: config_hash ${result.config_hash.slice(0, 16)}… and data fingerprint match the link`;
    window.btlab.linkResult = { result, ok: !problems.length };
    // A shared result is not stored: the re-run is the experiment shown.
    $('#detail-actions').hidden = true;
    renderDetailTables(result);
    renderDetailResult(result.config, result, dataset);
  } catch (e) {
    show('detail');
    $('#detail-check').className = 'mismatch';
    $('#detail-check').textContent = e.message;
  }
}

function loadSweepFromLink(payload, dataset) {
  show('sweep');
  const spec = payload.spec;
  const form = $('#sweep-form');
  $('#sweep-dataset').value = dataset.id;
  $('#sweep-timeframe').value = spec.timeframe;
  form.start.value = spec.start;
  form.end.value = spec.end;
  $('#sweep-strategy').value = spec.strategies[0];
  renderAxes(false);
  for (const [name, axis] of Object.entries(spec.param_grids[spec.strategies[0]] || {})) {
    const input = form.querySelector(`input[name=axis-${name}]`);
    if (input) input.value = axisText(axis);
  }
  for (const k of ['search', 'n_samples', 'seed', 'initial_capital', 'fee_bps', 'slippage_bps']) form[k].value = spec[k];
  form.allow_short.checked = spec.allow_short;
  updateCount();
  $('#sweep-link-status').textContent = `sweep loaded from a link, candles match (fingerprint ${payload.dataset.fingerprint.slice(0, 16)}): press Run sweep`;
}

// A promotion bundle: the experiment with its config, metrics and data identity, and the
// trials of its group for the deflated Sharpe; `btlab promote --bundle` reads it.
function promotionBundle(e) {
  const c = e.config;
  const dataset = datasetFor(e);
  return {
    format: 'btlab-promotion-bundle', version: 1, exported_at: new Date().toISOString(),
    experiment: e,
    dataset: dataset ? datasetIdentity(wasm, dataset, c.timeframe, c.start, c.end) : { symbol: c.symbol, timeframe: c.timeframe, fingerprint: e.data_fingerprint },
    trial_sharpes: Array.from(store.trialSharpes(c.symbol, c.timeframe, c.strategy)),
  };
}

function exportBundle(e) {
  const profile = $('#promote-profile').value.trim() || 'scalp';
  const bundle = promotionBundle(e);
  const file = `btlab-promotion-${e.config_hash.slice(0, 12)}.json`;
  download(file, new Blob([JSON.stringify(bundle, null, 1)], { type: 'application/json' }));
  const source = bundle.dataset.source;
  const data = source === 'embedded' ? '' : source === 'sample' ? ' --data tests/data/BTCUSDT-15m-2025.csv' : ` --data ${bundle.dataset.name || 'CANDLES.csv'}`;
  const command = `btlab promote --bundle ${file} ${profile}${data}`;
  $('#promote-command').hidden = false;
  $('#promote-command').textContent = `${command}\n# or with the exported .sqlite: btlab promote ${e.config_hash.slice(0, 12)} ${profile} --db btlab-experiments.sqlite${data}`;
  window.btlab.lastBundle = { bundle, command };
}

// ---- walk-forward and overfitting --------------------------------------------------------

// Windows run in the workers in parallel; the stitch is the core's, as natively.
async function runWalkForward(event) {
  event.preventDefault();
  $('#wf-error').textContent = '';
  const f = new FormData(event.target);
  const dataset = currentDataset();
  let spec, windows;
  try {
    spec = JSON.stringify({
      sweep: readSpec(),
      walk_forward: {
        train_days: Number(f.get('train_days')), test_days: Number(f.get('test_days')),
        step_days: f.get('step_days') === '' ? null : Number(f.get('step_days')),
        anchored: f.get('anchored') === 'on', target: f.get('target'), method: f.get('method'), evaluations: Number(f.get('evaluations')),
      },
    });
    windows = wasm.walkForwardWindows(spec);
  } catch (e) {
    $('#wf-error').textContent = e.message;
    return;
  }
  $('#wf-run').disabled = true;
  let finished = 0;
  const status = () => { $('#wf-status').textContent = `${finished}/${windows.length} windows`; };
  status();
  try {
    await pool.load(dataset);
    const results = await Promise.all(windows.map((w) => pool.walk(spec, w.index).then((r) => { finished++; status(); return r; })));
    const report = wasm.walkForwardStitch(spec, results);
    window.btlab.lastWalk = report;
    renderWalk(report, f.get('target'));
    $('#wf-status').textContent = `${windows.length} windows done`;
  } catch (e) {
    $('#wf-error').textContent = e.message;
  } finally {
    $('#wf-run').disabled = false;
  }
}

function renderWalk(report, target) {
  const m = report.out_of_sample;
  table($('#wf-summary'), [{ title: 'stitched out of sample', value: (r) => r[0], text: true }, { title: 'value', value: (r) => r[1] }], m ? [
    ['total_return', pct(m.total_return)], ['annualized_return', pct(m.annualized_return)], ['sharpe_ratio', num(m.sharpe_ratio)],
    ['max_drawdown', pct(m.max_drawdown)], ['total_trades', m.total_trades], ['win_rate', pct(m.win_rate)], ['final_equity', num(m.final_equity, 2)],
    ['walk-forward efficiency', report.efficiency == null ? 'n/a' : num(report.efficiency)],
  ] : [['in sample only (test days 0)', '']]);
  if (report.equity_curve.length) drawLine($('#wf-chart'), report.equity_curve.map((p) => ({ time: p.time, value: p.equity })));
  table($('#wf-windows'), [
    { title: '#', value: (w) => w.window.index },
    { title: 'train', value: (w) => `${isoDate(w.window.train_start)} .. ${isoDate(w.window.train_end)}`, text: true },
    { title: 'test', value: (w) => `${isoDate(w.window.test_start)} .. ${isoDate(w.window.test_end)}`, text: true },
    { title: `chosen by ${target}`, value: (w) => `${w.strategy} ${JSON.stringify(w.params)}`, text: true },
    { title: 'IS sharpe', value: (w) => num(w.in_sample.sharpe_ratio) },
    { title: 'IS return', value: (w) => pct(w.in_sample.total_return) },
    { title: 'OOS sharpe', value: (w) => num(w.out_of_sample?.sharpe_ratio) },
    { title: 'OOS return', value: (w) => pct(w.out_of_sample?.total_return) },
  ], report.windows);
}

function renderOverfit() {
  const select = $('#pbo-sweep');
  const chosen = select.value;
  replace(select, store.sweeps().map((s) => {
    const spec = JSON.parse(s.spec);
    return h('option', { value: s.id }, `#${s.id}: ${spec.symbol} ${spec.timeframe} ${spec.strategies.join('+')} (${s.with_returns}/${s.configs} with returns)`);
  }));
  if (chosen) select.value = chosen;
}

function computePbo(event) {
  event.preventDefault();
  $('#pbo-error').textContent = '';
  const f = new FormData(event.target);
  try {
    const r = store.overfitting(Number(f.get('sweep')), Number(f.get('blocks')));
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

// ---- datasets ----------------------------------------------------------------------------

async function renderDatasets() {
  datasetCache = await datasets.list();
  table($('#datasets-table'), [
    { title: 'symbol', value: (d) => d.symbol, text: true },
    { title: 'name', value: (d) => d.name, text: true },
    { title: 'source', value: (d) => d.source, text: true },
    { title: 'tf', value: (d) => d.info.timeframe, text: true },
    { title: 'candles', value: (d) => d.info.candles },
    { title: 'from', value: (d) => isoTime(d.info.first), text: true },
    { title: 'to', value: (d) => isoTime(d.info.last), text: true },
    { title: 'gaps', value: (d) => (d.info.gaps ? `${d.info.gaps} (${d.info.missing} candles)` : 'none'), text: true },
    { title: 'fingerprint', value: (d) => d.info.fingerprint.slice(0, 16), text: true },
  ], datasetCache);
  const select = $('#sweep-dataset');
  const chosen = select.value;
  replace(select, datasetCache.map((d) => h('option', { value: d.id }, `${d.symbol} ${d.info.timeframe} ${isoDate(d.info.first)}..${isoDate(d.info.last)} (${d.source})`)));
  if (datasetCache.some((d) => d.id === chosen)) select.value = chosen;
}

async function added(dataset) {
  $('#dataset-error').textContent = '';
  await renderDatasets();
  $('#sweep-dataset').value = dataset.id;
  chooseDataset();
  setStatus(`dataset ${dataset.symbol} ${dataset.info.timeframe} ready (${dataset.info.candles} candles)`);
}

function chooseDataset() {
  const d = currentDataset();
  if (!d) return;
  $('#sweep-timeframe').value = d.info.timeframe;
  const form = $('#sweep-form');
  form.start.value = isoDate(d.info.first);
  form.end.value = isoDate(d.info.last + 1);
  updateCount();
}

async function importFile(file) {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await added(await datasets.importBytes(bytes, file.name, $('#import-symbol').value.trim()));
  } catch (e) {
    $('#dataset-error').textContent = `${file.name}: ${e.message}`;
  }
}

// ---- detail ------------------------------------------------------------------------------

async function openDetail(name) {
  show('detail');
  const e = store.get(`#${name}`);
  $('#detail-title').textContent = `Experiment ${e.id}: ${e.config.symbol} ${e.config.timeframe} ${e.config.strategy}`;
  $('#link-out').hidden = true;
  $('#promote-command').hidden = true;
  $('#detail-actions').hidden = false;
  $('#copy-link').onclick = () => copyExperimentLink(e).catch((err) => { $('#detail-check').textContent = err.message; });
  $('#promote-bundle').onclick = () => exportBundle(e);
  renderDetailTables(e);
  const check = $('#detail-check');
  check.className = '';
  check.textContent = 're-running for the full curve and trades…';
  // Full detail is one deterministic re-run away, on a dataset with the same candles.
  const dataset = datasetFor(e);
  $('#detail-dsr').textContent = '';
  showDeflated($('#detail-dsr'), e);
  if (!dataset) {
    check.textContent = `the candles of this experiment (fingerprint ${e.data_fingerprint.slice(0, 16)}) are not among the datasets: stored curve only`;
    drawDetailCharts({ equity: e.equity_curve, trades: [], candles: null });
    table($('#detail-trades'), [], []);
    return;
  }
  await pool.load(dataset);
  const result = await pool.detail(e.config);
  const same = result.config_hash === e.config_hash && result.metrics.sharpe_ratio === e.metrics.sharpe_ratio;
  check.className = same ? 'match' : 'mismatch';
  check.textContent = same ? `re-run matches: config_hash ${result.config_hash.slice(0, 16)}…, same metrics`
    : `MISMATCH: the re-run gives config_hash ${result.config_hash} and Sharpe ${result.metrics.sharpe_ratio}`;
  renderDetailResult(e.config, result, dataset);
}

function renderDetailTables(e) {
  const c = e.config;
  table($('#detail-config'), [{ title: 'field', value: (r) => r[0], text: true }, { title: 'value', value: (r) => r[1], text: true }], [
    ['config_hash', e.config_hash], ['params', JSON.stringify(c.params)], ['range', `${c.start} .. ${c.end}`],
    ['capital', c.initial_capital], ['fee / slippage (bps)', `${c.fee_bps} / ${c.slippage_bps}`], ['shorts', c.allow_short ? 'allowed' : 'off'],
    ['data fingerprint', e.data_fingerprint.slice(0, 16)], ['candles', e.candles],
  ]);
  table($('#detail-metrics'), [{ title: 'metric', value: (r) => r[0], text: true }, { title: 'value', value: (r) => r[1] }],
    Object.entries(e.metrics).map(([k, v]) => [k, typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(4)) : String(v)]));
}

// The charts and trades of `config`'s full re-run (a stored experiment's, or a shared link's).
function renderDetailResult(c, result, dataset) {
  drawDetailCharts({ equity: result.equity_curve, trades: result.trades, candles: dataset.columns, range: [Date.parse(c.start), Date.parse(c.end)] });
  table($('#detail-trades'), [
    { title: 'side', value: (t) => t.side, text: true },
    { title: 'entry', value: (t) => isoTime(t.entry_time), text: true },
    { title: 'entry price', value: (t) => num(t.entry_price, 2) },
    { title: 'exit', value: (t) => isoTime(t.exit_time), text: true },
    { title: 'exit price', value: (t) => num(t.exit_price, 2) },
    { title: 'pnl', value: (t) => num(t.pnl, 2) },
    { title: 'return', value: (t) => `${num(t.return_pct, 2)}%` },
  ], result.trades.slice(0, 2000));
}

// ---- export and import -------------------------------------------------------------------

async function exportJson() {
  const parts = ['['];
  for (let offset = 0; ; offset += 5000) {
    const rows = store.list(null, 'sharpe_ratio', 5000, offset);
    rows.forEach((r, i) => parts.push((offset + i ? ',\n' : '\n') + JSON.stringify(r)));
    if (rows.length < 5000) break;
  }
  parts.push('\n]\n');
  download('btlab-experiments.json', new Blob(parts, { type: 'application/json' }));
}

async function importDatabase(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const out = $('#import-result');
  try {
    let merged;
    let skipped = [];
    if (file.name.endsWith('.json')) {
      merged = store.importExperiments(JSON.parse(new TextDecoder().decode(bytes)), Date.now());
    } else {
      const SQL = await window.sqlReady;
      const other = new SQL.Database(bytes);
      const report = store.mergeDatabase(other, Date.now());
      other.close();
      merged = report.experiments;
      skipped = report.unreadable;
    }
    await persist.fold();
    out.textContent = `imported ${file.name}: ${merged} new experiments` +
      (skipped.length ? `; ${skipped.length} unreadable rows left out (${skipped.slice(0, 3).join('; ')})` : '');
    refresh();
  } catch (e) {
    out.textContent = `${file.name}: ${e.message}`;
  }
}

// ---- start -------------------------------------------------------------------------------

async function main() {
  window.sqlReady = window.initSqlJs({ locateFile: (f) => new URL(`vendor/${f}`, import.meta.url).href });
  const [SQL] = await Promise.all([window.sqlReady, init()]);
  strategies = wasm.strategies();
  grids = wasm.predefinedGrids();
  const handle = await idb();
  persist = new Persistence(handle, SQL, wasm);
  store = await persist.open();
  persist.onRemote = () => refresh();
  datasets = new Datasets(handle, wasm);
  await datasets.ensureDemo();
  pool = new Pool();
  window.btlab = { wasm, store, persist, pool, datasets };

  replace($('#sweep-strategy'), strategies.map((s) => h('option', { value: s.name }, s.name)));
  replace($('#heat-strategy'), strategies.map((s) => h('option', { value: s.name }, s.name)));
  replace($('#sweep-timeframe'), TIMEFRAMES.map((t) => h('option', { value: t }, t)));
  $('#filter-form').strategy.append(...strategies.map((s) => h('option', { value: s.name }, s.name)));
  // Every list of metrics is the core's (wasm.metrics): names, direction, format.
  for (const id of ['#top-metric', '#heat-metric', '#wf-target', '#opt-target']) replace($(id), wasm.metrics().map((m) => h('option', { value: m.name }, m.name)));

  await renderDatasets();
  chooseDataset();
  renderAxes();

  for (const button of document.querySelectorAll('#tabs button')) button.addEventListener('click', () => show(button.dataset.view));
  $('#sweep-strategy').addEventListener('change', () => renderAxes());
  $('#preset').addEventListener('click', () => renderAxes(true));
  $('#sweep-form').addEventListener('input', updateCount);
  $('#sweep-dataset').addEventListener('change', chooseDataset);
  $('#sweep-form').addEventListener('submit', runSweep);
  $('#cancel').addEventListener('click', cancelSweep);
  $('#filter-form').addEventListener('submit', readFilter);
  $('#wf-form').addEventListener('submit', runWalkForward);
  $('#opt-form').addEventListener('submit', runOptimizer);
  $('#sweep-link').addEventListener('click', () => copySweepLink().catch((e) => { $('#sweep-error').textContent = e.message; }));
  $('#compare-button').addEventListener('click', () => {
    document.querySelector('#tabs button[data-view=compare]').hidden = false;
    show('compare');
  });
  window.addEventListener('hashchange', () => openLink(location.hash));
  $('#pbo-form').addEventListener('submit', computePbo);
  $('#prev').addEventListener('click', () => { state.results.offset = Math.max(0, state.results.offset - PAGE); renderResults(); });
  $('#next').addEventListener('click', () => { if (state.results.offset + PAGE < store.count(state.results.filter)) state.results.offset += PAGE; renderResults(); });
  for (const id of ['#top-n', '#top-metric']) $(id).addEventListener('change', renderTop);
  for (const id of ['#heat-strategy', '#heat-x', '#heat-y', '#heat-metric']) $(id).addEventListener('change', renderHeatmap);
  $('#export-sqlite').addEventListener('click', () => download('btlab-experiments.sqlite', new Blob([store.exportBytes()], { type: 'application/vnd.sqlite3' })));
  $('#export-json').addEventListener('click', exportJson);
  // Inputs are cleared after each file so that choosing the same file again imports it again.
  $('#import-db').addEventListener('change', async (e) => { if (e.target.files[0]) await importDatabase(e.target.files[0]); e.target.value = ''; });
  $('#file').addEventListener('change', async (e) => { if (e.target.files[0]) await importFile(e.target.files[0]); e.target.value = ''; });
  const drop = $('#drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) importFile(e.dataTransfer.files[0]); });
  $('#load-sample').addEventListener('click', async () => {
    try {
      await added(await datasets.loadSample());
    } catch (e) {
      $('#dataset-error').textContent = e.message;
    }
  });
  $('#download-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const bar = $('#download-progress');
    bar.hidden = false;
    bar.value = 0;
    try {
      await added(await datasets.download({
        base: f.get('base'), symbol: f.get('symbol').trim().toUpperCase(), interval: f.get('interval').trim(),
        start: Date.parse(f.get('start')), end: Date.parse(f.get('end')),
      }, (p) => { bar.value = p; }));
    } catch (err) {
      $('#dataset-error').textContent = `download: ${err.message}`;
    }
  });
  // Offline after one visit: the shell, the wasm and sql.js come from the service worker's cache.
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch((e) => console.warn('no service worker:', e));
  setStatus('ready');
  if (location.hash.startsWith('#link=')) await openLink(location.hash);
}

main().catch((e) => {
  setStatus(`failed to start: ${e.message}`);
  console.error(e);
});
