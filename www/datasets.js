// @ts-check
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

  // Pages through /api/v3/klines (1000 candles a request), reporting progress 0..1. The
  // range is checked against the caps before the first request (see downloadPlan).
  async download(origin, onProgress) {
    const { base, symbol, interval, start, end } = origin;
    const plan = downloadPlan(this.wasm, origin);
    const rows = [];
    let from = start;
    for (let requests = 0; from < end; requests++) {
      if (requests >= plan.requests) throw new Error(`${plan.host} sent more pages than ${plan.rows} candles fill: stopped after ${requests} requests`);
      const url = new URL('/api/v3/klines', base);
      url.search = String(new URLSearchParams({ symbol, interval, startTime: String(from), endTime: String(end - 1), limit: '1000' }));
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url.origin} answered ${response.status} ${response.statusText}`);
      const page = await response.json();
      if (!Array.isArray(page)) throw new Error('the klines endpoint did not return an array');
      if (!page.length) break;
      rows.push(...page);
      if (rows.length > MAX_DOWNLOAD_ROWS) throw new Error(`${plan.host} sent over ${MAX_DOWNLOAD_ROWS} candles: stopped`);
      const next = Number(page[page.length - 1][0]) + 1;
      if (!(next > from)) throw new Error(`${plan.host} sent a page that does not move forward in time: stopped`);
      from = next;
      onProgress(Math.min(1, (from - start) / (end - start)));
    }
    if (!rows.length) throw new Error(`no ${symbol} ${interval} candles in that range`);
    onProgress(1);
    const columns = this.wasm.parseCandles(new TextEncoder().encode(JSON.stringify(rows)));
    // Where they came from, so a shared link can download the same candles again.
    return this.add({ symbol, source: `download ${plan.host}`, name: `${symbol} ${interval}`, columns, origin: { base, symbol, interval, start, end } });
  }
}

// The most candles one download may bring (two years of 1m candles, as the edge allows).
export const MAX_DOWNLOAD_ROWS = 1_000_000;
const PAGE_ROWS = 1000;
// Binance's public market-data hosts: the only ones a link may fetch from without asking.
const BINANCE_HOSTS = new Set(['api.binance.com', 'api1.binance.com', 'api2.binance.com', 'api3.binance.com', 'api4.binance.com', 'data-api.binance.vision']);

// What downloading `origin` means before anything is fetched: its host, whether it is
// Binance's, and how many candles and requests it takes at most (the interval's length
// from the core's timeframes). Refuses a range over the cap, a URL that is not http(s),
// and an unknown interval.
export function downloadPlan(wasm, { base, interval, start, end }) {
  let url;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`the candle source \`${String(base).slice(0, 100)}\` is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`the candle source ${url.origin} is not an http(s) URL`);
  const step = wasm.timeframes().find((tf) => tf.name === interval)?.millis;
  if (!step) throw new Error(`unknown interval \`${String(interval).slice(0, 20)}\``);
  if (!(Number.isFinite(start) && Number.isFinite(end) && end > start)) throw new Error('the download range is empty or not a range of times');
  const rows = Math.ceil((end - start) / step);
  if (rows > MAX_DOWNLOAD_ROWS) throw new Error(`${rows} ${interval} candles asked for; a download brings at most ${MAX_DOWNLOAD_ROWS}`);
  return { host: url.host, binance: url.protocol === 'https:' && BINANCE_HOSTS.has(url.host), rows, requests: Math.ceil(rows / PAGE_ROWS) + 1 };
}
