// @ts-check
// btlab's page, wired: the store and the loops' steps run here (wasm + sql.js), the
// backtests in a pool of workers, and every experiment shown as done has been logged to
// IndexedDB first. Each tab is a view module (views/<tab>.js: mount once, render on show);
// they share one context and talk by its events.
import init, * as wasm from './pkg/btlab_web.js';
import { Persistence, idb } from './persist.js';
import { Pool } from './pool.js';
import { chooseBuild, wasmUrl } from './wasm_build.js';
import { Datasets } from './datasets.js';
import { createContext } from './context.js';
import { $, $$ } from './util.js';
import { openLink } from './sharing.js';
import { renderAxes, chooseDataset } from './sweep_form.js';
import * as sweep from './views/sweep.js';
import * as results from './views/results.js';
import * as top from './views/top.js';
import * as summary from './views/summary.js';
import * as errors from './views/errors.js';
import * as heatmap from './views/heatmap.js';
import * as markets from './views/markets.js';
import * as pareto from './views/pareto.js';
import * as optimize from './views/optimize.js';
import * as walkforward from './views/walkforward.js';
import * as overfit from './views/overfit.js';
import * as datasetsView from './views/datasets.js';
import * as compare from './views/compare.js';
import * as detail from './views/detail.js';
import * as strategy from './views/strategy.js';
import { define } from './definitions.js';

const VIEWS = { sweep, strategy, results, top, summary, errors, heatmap, markets, pareto, optimize, walkforward, overfit, datasets: datasetsView, compare, detail };

async function main() {
  window.sqlReady = window.initSqlJs({ locateFile: (f) => new URL(`vendor/${f}`, import.meta.url).href });
  // `?simd=off` runs the build without SIMD, to compare.
  const build = chooseBuild(new URLSearchParams(location.search).get('simd') === 'off');
  const [SQL] = await Promise.all([window.sqlReady, init({ module_or_path: wasmUrl(build) })]);
  const handle = await idb();
  const persist = new Persistence(handle, SQL, wasm);
  const store = await persist.open();
  const datasets = new Datasets(handle, wasm);
  await datasets.ensureDemo();
  const ctx = createContext({ wasm, store, persist, pool: new Pool(build), datasets });
  window.btlab = { build, wasm, store, persist, pool: ctx.pool, datasets, ctx };
  // Every definition the store ran: offered again, and its experiments re-run anywhere.
  for (const d of store.definitions()) {
    try {
      define(ctx, d.source);
    } catch (e) {
      console.warn(`stored definition ${d.hash} does not compile here:`, e);
    }
  }

  const current = () => $('#tabs button.active').dataset.view;
  ctx.show = (view) => {
    for (const section of $$('.view')) section.hidden = section.id !== `view-${view}`;
    for (const button of $$('#tabs button')) {
      button.classList.toggle('active', button.dataset.view === view);
      if (button.dataset.view === 'detail' && view === 'detail') button.hidden = false;
    }
    VIEWS[view].render(ctx);
  };
  // New rows (a sweep here, another tab, an import): the view on screen draws them.
  ctx.on('stored', () => VIEWS[current()].render(ctx));
  persist.onRemote = () => ctx.emit('stored');

  for (const view of Object.values(VIEWS)) view.mount(ctx);
  await ctx.refreshDatasets();
  chooseDataset(ctx);
  renderAxes(ctx);
  for (const button of $$('#tabs button')) button.addEventListener('click', () => ctx.show(button.dataset.view));
  window.addEventListener('hashchange', () => openLink(ctx, location.hash));
  // Offline after one visit: the shell, the wasm and sql.js come from the service worker's cache.
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch((e) => console.warn('no service worker:', e));
  ctx.setStatus('ready');
  if (location.hash.startsWith('#link=')) await openLink(ctx, location.hash);
}

main().catch((e) => {
  document.querySelector('#status').textContent = `failed to start: ${e.message}`;
  console.error(e);
});
