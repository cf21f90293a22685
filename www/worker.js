// @ts-check
// One engine per worker: the wasm is loaded once, candles arrive once per dataset, then
// each message is routed to one method of the Engine.
import init, { Engine, defineStrategy, monteCarlo } from './pkg/btlab_web.js';
import { wasmUrl } from './wasm_build.js';

// The pool names the build in this script's URL.
const ready = init({ module_or_path: wasmUrl(new URL(self.location.href).searchParams.get('build')) });
let engine = null;
const defined = new Set(); // the definitions this worker's wasm has compiled

self.onmessage = async ({ data }) => {
  await ready;
  const { id, type } = data;
  try {
    for (const source of data.definitions || []) {
      if (!defined.has(source)) {
        defineStrategy(source);
        defined.add(source);
      }
    }
    if (type === 'load') {
      engine?.free();
      engine = new Engine(data.columns);
      self.postMessage({ id, ok: true });
    } else if (type === 'run') {
      const packed = engine.runChunk(data.configs, Boolean(data.keepReturns));
      self.postMessage({ id, ok: true, packed }, { transfer: [packed.buffer] });
    } else if (type === 'detail') {
      self.postMessage({ id, ok: true, result: engine.runDetail(data.config) });
    } else if (type === 'walk') {
      self.postMessage({ id, ok: true, result: engine.walkWindow(data.spec, data.index) });
    } else if (type === 'montecarlo') {
      self.postMessage({ id, ok: true, result: monteCarlo(data.trades, data.options) });
    } else if (type === 'report') {
      self.postMessage({ id, ok: true, result: engine.report(data.config, data.evidence) });
    } else if (type === 'deflated') {
      self.postMessage({ id, ok: true, result: engine.deflatedSharpe(data.config, data.trials) });
    }
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e && e.message ? e.message : e) });
  }
};
