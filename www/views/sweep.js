// @ts-check
// The sweep builder and its run: the core plans each chunk (what to run, what is stored
// already, what validation refused), the workers (or an edge worker) run it, the log makes
// it durable, the core records it.
import { $, h, replace, isoDate, nextTask } from '../util.js';
import { readSpec, readMarkets, renderAxes, renderOrderAxes, updateCount, chooseDataset, fillFromSpec } from '../sweep_form.js';
import { copyLink } from '../sharing.js';
import { datasetIdentity } from '../links.js';

let running = null; // the sweep in flight: { cancelled }

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  renderStrategyChoice(ctx);
  renderOrderAxes(ctx);
  ctx.on('strategies-changed', () => renderStrategyChoice(ctx));
  // "Sweep this" in the Strategy tab: its definition's params become the axes.
  ctx.on('sweep-strategy', (name) => {
    ctx.show('sweep');
    $('#sweep-strategy').value = name;
    renderAxes(ctx, true);
  });
  replace($('#sweep-timeframe'), ctx.wasm.timeframes().map((tf) => h('option', { value: tf.name }, tf.name)));
  $('#sweep-strategy').addEventListener('change', () => renderAxes(ctx));
  $('#preset').addEventListener('click', () => renderAxes(ctx, true));
  $('#sweep-form').addEventListener('input', () => updateCount(ctx));
  $('#sweep-dataset').addEventListener('change', () => {
    renderMarketChoice(ctx);
    chooseDataset(ctx);
  });
  $('#sweep-form').addEventListener('submit', (event) => runSweep(ctx, event));
  $('#cancel').addEventListener('click', () => {
    if (!running) return;
    running.cancelled = true;
    ctx.pool.cancel();
  });
  $('#sweep-link').addEventListener('click', () => copySweepLink(ctx).catch((e) => { $('#sweep-error').textContent = e.message; }));
  ctx.on('datasets-changed', () => {
    renderDatasetChoice(ctx);
    renderMarketChoice(ctx);
  });
  ctx.on('dataset-added', (dataset) => {
    $('#sweep-dataset').value = dataset.id;
    renderMarketChoice(ctx);
    chooseDataset(ctx);
  });
  ctx.on('shared-sweep', ({ payload, dataset }) => {
    ctx.show('sweep');
    fillFromSpec(ctx, payload.spec, dataset);
    $('#sweep-link-status').textContent = `sweep loaded from a link, candles match (fingerprint ${payload.dataset.fingerprint.slice(0, 16)}): press Run sweep`;
  });
}

export function render() {}

/** @param {import('../context.js').Context} ctx */
function renderStrategyChoice(ctx) {
  const select = $('#sweep-strategy');
  const chosen = select.value;
  replace(select, ctx.strategies.map((s) => h('option', { value: s.name }, s.definition ? `${s.name} (defined)` : s.name)));
  if (ctx.strategies.some((s) => s.name === chosen)) select.value = chosen;
}

// The builder's dataset choice, kept when the list changes.
/** @param {import('../context.js').Context} ctx */
function renderDatasetChoice(ctx) {
  const select = $('#sweep-dataset');
  const chosen = select.value;
  replace(select, ctx.datasetList.map((d) => h('option', { value: d.id }, `${d.symbol} ${d.info.timeframe} ${isoDate(d.info.first)}..${isoDate(d.info.last)} (${d.source})`)));
  if (ctx.datasetList.some((d) => d.id === chosen)) select.value = chosen;
}

// "Also sweep on": every dataset but the chosen one, ticks kept when the list changes.
/** @param {import('../context.js').Context} ctx */
function renderMarketChoice(ctx) {
  const ticked = new Set([...document.querySelectorAll('#sweep-markets input:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value));
  const chosen = $('#sweep-dataset').value;
  replace($('#sweep-markets'), ctx.datasetList.filter((d) => d.id !== chosen).map((d) => h('label', {},
    h('input', { type: 'checkbox', value: d.id, checked: ticked.has(d.id) }),
    `${d.symbol} ${d.info.timeframe} ${isoDate(d.info.first)}..${isoDate(d.info.last)}`)));
}

/** @param {import('../context.js').Context} ctx */
async function copySweepLink(ctx) {
  if (readMarkets(ctx).length > 1) throw new Error('a sweep link carries one dataset: untick "Also sweep on" to copy one');
  const spec = readSpec(ctx);
  const link = await copyLink(ctx, { v: 1, kind: 'sweep', spec, dataset: datasetIdentity(ctx.wasm, ctx.currentDataset(), spec.timeframe, spec.start, spec.end) });
  $('#sweep-link-status').textContent = `link copied: ${link.length} characters`;
}

// The edge's outcomes of a chunk; recordChunk checks their hashes against this page's.
async function runOnEdge(base, configs) {
  const response = await fetch(`${base}/batch-backtest`, { method: 'POST', body: `{"configs":${configs}}`, headers: { 'content-type': 'application/json' } });
  const reply = await response.json();
  if (!response.ok) throw new Error(`${base} answered ${response.status}: ${reply.error}`);
  return JSON.stringify(reply.results);
}

// Every market in turn (as `btlab sweep` runs them): the core plans each chunk, the
// workers (or an edge worker) run it, the log makes it durable, the core records it.
/** @param {import('../context.js').Context} ctx */
async function runSweep(ctx, event) {
  event.preventDefault();
  if (running) return;
  const { wasm } = ctx;
  $('#sweep-error').textContent = '';
  // Every market's sweep and fingerprint before anything runs: a bad one runs none.
  const markets = [];
  let market = '';
  try {
    for (const { dataset, spec } of readMarkets(ctx)) {
      market = `${dataset.symbol} ${spec.timeframe}: `;
      const fingerprint = wasm.marketFingerprint(dataset.columns, spec.timeframe, Date.parse(spec.start), Date.parse(spec.end));
      markets.push({ dataset, spec, fingerprint, sweep: new wasm.Sweep(spec) });
    }
  } catch (e) {
    $('#sweep-error').textContent = `${markets.length ? market : ''}${e.message}`;
    for (const m of markets) m.sweep.free();
    return;
  }
  const form = new FormData($('#sweep-form'));
  const edge = form.get('on_edge') === 'on' ? String(form.get('edge_url')).trim().replace(/\/$/, '') : null;
  const keepReturns = form.get('keep_returns') === 'on';
  if (keepReturns && edge) {
    $('#sweep-error').textContent = 'keeping daily returns needs every candle\'s equity: run this sweep in the page, not on the edge';
    for (const m of markets) m.sweep.free();
    return;
  }
  const run = (running = { cancelled: false, edge, keepReturns });
  const total = markets.reduce((sum, m) => sum + m.sweep.size, 0);
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
    for (const market of markets) {
      if (run.cancelled) break;
      await sweepMarket(ctx, run, market, counts, progress);
    }
    ctx.setStatus(run.cancelled ? 'sweep cancelled: what finished is stored' : `sweep done: ${counts.stored} new experiments`);
  } catch (e) {
    if (!run.cancelled) $('#sweep-error').textContent = e.message;
  } finally {
    for (const m of markets) m.sweep.free();
    running = null;
    $('#run').disabled = false;
    $('#cancel').disabled = true;
    progress();
    ctx.emit('stored');
    // Every chunk is durable in the log already. Folding the log into the snapshot exports
    // the whole database in one task, so it waits for the sweep's end and holds up nothing.
    ctx.persist.fold().catch((e) => console.error('folding the log failed; it stays in IndexedDB:', e));
  }
}

// One market's configs, chunk by chunk in two lanes per worker.
/** @param {import('../context.js').Context} ctx */
async function sweepMarket(ctx, run, { dataset, spec, sweep, fingerprint }, counts, progress) {
  const { store, pool, persist } = ctx;
  const { edge, keepReturns } = run;
  const sweepId = keepReturns ? JSON.stringify(spec) : null;
  await pool.load(dataset);
  const lanes = pool.size * 2;
  const chunkSize = Math.max(25, Math.min(500, Math.ceil(sweep.size / (lanes * 2))));
  let planned = 0;
  const lane = async () => {
    while (!run.cancelled) {
      // Each chunk's plan in a task of its own, apart from the record before it: neither
      // holds the main thread long. The first chunk of each lane is small: the store's
      // first record pays for preparing its statements.
      await nextTask();
      const plan = store.planNext(sweep, planned++ < lanes ? Math.min(100, chunkSize) : chunkSize, fingerprint, keepReturns);
      if (!plan) return;
      const ran = !plan.hashes.length ? null
        : edge ? { outcomes: await runOnEdge(edge, plan.to_run) } : { packed: await pool.run(plan.to_run, keepReturns) };
      if (run.cancelled) return;
      const members = keepReturns ? { spec: sweepId, fingerprint, members: plan.members } : null;
      const [inserted, already, failed] = await persist.append(plan, ran, members, spec.definitions || []);
      counts.stored += inserted;
      counts.failed += failed;
      counts.skipped += plan.already_stored + already;
      counts.done += plan.already_stored + plan.hashes.length + plan.refused.length;
      progress();
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
