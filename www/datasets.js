// Candle datasets, kept in IndexedDB with their columns: the embedded DEMO-BTC default,
// imported files, the shipped sample, and downloads from Binance's public klines API.
import { request, done } from './persist.js';

const DAY = 86_400_000;

export class Datasets {
  constructor(idb, wasm) {
    this.idb = idb;
    this.wasm = wasm;
  }

  async list() {
    const tx = this.idb.transaction('datasets', 'readonly');
    const all = await request(tx.objectStore('datasets').getAll());
    return all.sort((a, b) => a.added - b.added);
  }

  async get(id) {
    return request(this.idb.transaction('datasets', 'readonly').objectStore('datasets').get(id));
  }

  // The synthetic default, generated on first load: 2024 and 2025 at 15m.
  async ensureDemo() {
    const existing = (await this.list()).find((d) => d.source === 'embedded');
    if (existing) return existing;
    const start = Date.UTC(2024, 0, 1);
    const columns = this.wasm.demoCandles('15m', start, start + 731 * DAY, 42n);
    return this.add({ symbol: this.wasm.demoSymbol(), source: 'embedded', name: 'DEMO-BTC (synthetic, seed 42)', columns });
  }

  async add({ symbol, source, name, columns, origin = null }) {
    const info = this.wasm.datasetInfo(columns);
    if (!info.timeframe) throw new Error('cannot tell the timeframe of these candles (fewer than two?)');
    const id = `${symbol}-${info.timeframe}-${info.fingerprint.slice(0, 12)}`;
    const dataset = { id, symbol, source, name, info, columns, origin, added: Date.now() };
    const tx = this.idb.transaction('datasets', 'readwrite');
    tx.objectStore('datasets').put(dataset);
    await done(tx);
    return dataset;
  }

  async remove(id) {
    const tx = this.idb.transaction('datasets', 'readwrite');
    tx.objectStore('datasets').delete(id);
    await done(tx);
  }

  // A candle file in any of the spec's formats; errors name the row at fault.
  async importBytes(bytes, name, symbol) {
    const columns = this.wasm.parseCandles(bytes);
    const guess = /^([A-Za-z0-9]+)[-_]/.exec(name);
    return this.add({ symbol: symbol || (guess ? guess[1].toUpperCase() : 'DATA'), source: 'file', name, columns });
  }

  // The real series shipped beside the page (BTCUSDT 15m 2025).
  async loadSample() {
    const response = await fetch('sample/BTCUSDT-15m-2025.csv');
    if (!response.ok) throw new Error(`the sample series: ${response.status} ${response.statusText}`);
    const columns = this.wasm.parseCandles(new Uint8Array(await response.arrayBuffer()));
    return this.add({ symbol: 'BTCUSDT', source: 'sample', name: 'BTCUSDT-15m-2025.csv', columns });
  }

  // Pages through /api/v3/klines (1000 candles a request), reporting progress 0..1.
  async download({ base, symbol, interval, start, end }, onProgress) {
    const rows = [];
    let from = start;
    while (from < end) {
      const url = new URL('/api/v3/klines', base);
      url.search = new URLSearchParams({ symbol, interval, startTime: from, endTime: end - 1, limit: 1000 });
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url.origin} answered ${response.status} ${response.statusText}`);
      const page = await response.json();
      if (!Array.isArray(page)) throw new Error('the klines endpoint did not return an array');
      if (!page.length) break;
      rows.push(...page);
      from = Number(page[page.length - 1][0]) + 1;
      onProgress(Math.min(1, (from - start) / (end - start)));
    }
    if (!rows.length) throw new Error(`no ${symbol} ${interval} candles in that range`);
    onProgress(1);
    const columns = this.wasm.parseCandles(new TextEncoder().encode(JSON.stringify(rows)));
    // Where they came from, so a shared link can download the same candles again.
    const origin = { base, symbol, interval, start, end };
    return this.add({ symbol, source: `download ${new URL(base).host}`, name: `${symbol} ${interval}`, columns, origin });
  }
}
