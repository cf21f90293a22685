// @ts-check
// The page's one context, built once by main.js and handed to every view: the store (the
// core's, on sql.js), the worker pool, persistence, the datasets and the core's catalogs,
// plus the little state views share. Views never call each other: they emit events on the
// context and listen for the ones they answer.
import { $ } from './util.js';

/**
 * @param {{ wasm: typeof import('./pkg/btlab_web.js'), store: import('./pkg/btlab_web.js').WebStore,
 *   persist: import('./persist.js').Persistence, pool: import('./pool.js').Pool, datasets: import('./datasets.js').Datasets }} parts
 */
export function createContext({ wasm, store, persist, pool, datasets }) {
  const bus = new EventTarget();
  const ctx = {
    wasm,
    store,
    persist,
    pool,
    datasets,
    strategies: wasm.strategies(),
    grids: wasm.predefinedGrids(),
    // The definitions the builders offer, by strategy name (see definitions.js).
    definitionSources: new Map(),
    // Every list of metrics is the core's: names, direction, format.
    metrics: wasm.metrics(),
    orderFields: wasm.orderFields(),
    // The datasets as last listed, and the experiments ticked for the comparison.
    datasetList: [],
    compare: new Set(),
    // Set by main.js: switches to a view and renders it.
    show: (_view) => {},
    on(type, listener) {
      bus.addEventListener(type, (event) => listener(/** @type {CustomEvent} */ (event).detail));
    },
    emit(type, detail) {
      bus.dispatchEvent(new CustomEvent(type, { detail }));
    },
    setStatus(text) {
      $('#status').textContent = text;
    },
    // The dataset chosen in the sweep builder (the optimizer and walk-forward use it too).
    currentDataset() {
      return ctx.datasetList.find((d) => d.id === $('#sweep-dataset').value);
    },
    async refreshDatasets() {
      ctx.datasetList = await datasets.list();
      ctx.emit('datasets-changed');
    },
    // The dataset holding the candles an experiment ran on (same symbol and fingerprint).
    datasetFor(e) {
      const c = e.config;
      return ctx.datasetList.find((d) => d.symbol === c.symbol && (() => {
        try { return wasm.marketFingerprint(d.columns, c.timeframe, Date.parse(c.start), Date.parse(c.end)) === e.data_fingerprint; } catch { return false; }
      })());
    },
  };
  return ctx;
}

/** @typedef {ReturnType<typeof createContext>} Context */
