// @ts-check
// A pool of module workers, one engine each (navigator.hardwareConcurrency of them).
// Candles are sent to each worker once per dataset, as transferred copies; configs go in
// chunks; cancel terminates the workers at once and starts fresh ones.

export class Pool {
  /** @param {string} build the wasm build the workers load (see wasm_build.js) */
  constructor(build, size = navigator.hardwareConcurrency || 2) {
    this.build = build;
    this.size = Math.max(1, size);
    // Strategy definitions every message carries (a worker compiles each once, and a
    // restarted one again): any config naming one of them runs anywhere.
    /** @type {Set<string>} */
    this.definitions = new Set();
    this.start();
  }

  start() {
    this.workers = Array.from({ length: this.size }, () => {
      const worker = new Worker(new URL(`./worker.js?build=${this.build}`, import.meta.url), { type: 'module' });
      const slot = { worker, pending: new Map(), busy: false };
      worker.onmessage = ({ data }) => {
        const waiting = slot.pending.get(data.id);
        slot.pending.delete(data.id);
        if (!waiting) return;
        if (data.ok) waiting.resolve(data); else waiting.reject(new Error(data.error));
      };
      worker.onerror = (e) => {
        for (const w of slot.pending.values()) w.reject(new Error(e.message || 'worker failed'));
        slot.pending.clear();
      };
      return slot;
    });
    this.loaded = null;
    this.nextId = 1;
    this.idle = [...this.workers];
    this.queue = [];
  }

  call(slot, message, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...message, id, definitions: [...this.definitions] }, transfer);
    });
  }

  // Sends a dataset's columns to every worker (skipped when they already hold it).
  async load(dataset) {
    if (this.loaded === dataset.id) return;
    await Promise.all(this.workers.map((slot) => {
      const copy = Object.fromEntries(Object.entries(dataset.columns).map(([k, v]) => [k, new Float64Array(v)]));
      return this.call(slot, { type: 'load', columns: copy }, Object.values(copy).map((a) => a.buffer));
    }));
    this.loaded = dataset.id;
  }

  /** @param {string} source */
  addDefinition(source) {
    this.definitions.add(source);
  }

  async acquire() {
    if (this.idle.length) return this.idle.pop();
    return new Promise((resolve) => this.queue.push(resolve));
  }

  release(slot) {
    if (!this.workers.includes(slot)) return;
    const next = this.queue.shift();
    if (next) next(slot); else this.idle.push(slot);
  }

  // One message to the next free worker; its reply once it answers.
  async send(message) {
    const slot = await this.acquire();
    if (!slot) throw new Error('cancelled');
    try {
      return await this.call(slot, message);
    } finally {
      this.release(slot);
    }
  }

  // `configs`: a JSON array; resolves to their runs as bytes (`Engine.runChunk`, with each
  // config's daily returns when `keepReturns`), transferred, not copied.
  /** @returns {Promise<Uint8Array>} */
  async run(configs, keepReturns = false) {
    return (await this.send({ type: 'run', configs, keepReturns })).packed;
  }

  // One walk-forward window (`spec`: JSON); resolves to its result's JSON.
  async walk(spec, index) {
    return (await this.send({ type: 'walk', spec, index })).result;
  }

  // The deflated Sharpe ratio of `config` given its group's stored Sharpe ratios.
  async deflated(config, trials) {
    return (await this.send({ type: 'deflated', config, trials: Float64Array.from(trials) })).result;
  }

  // Monte Carlo of a result's trades ({runs, seed, ruin_drawdown}), off the main thread.
  async monteCarlo(trades, options) {
    return (await this.send({ type: 'montecarlo', trades, options })).result;
  }

  // The self-contained HTML report of `config` with the store's evidence about it.
  async report(config, evidence) {
    return (await this.send({ type: 'report', config, evidence })).result;
  }

  async detail(config) {
    return (await this.send({ type: 'detail', config })).result;
  }

  cancel() {
    for (const slot of this.workers) {
      slot.worker.terminate();
      for (const w of slot.pending.values()) w.reject(new Error('cancelled'));
    }
    for (const resolve of this.queue) resolve(null);
    this.start();
  }
}
