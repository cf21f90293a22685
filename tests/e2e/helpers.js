// Shared by the browser tests: a static server for www/ (plus a recorded Binance klines
// endpoint built from the real candles), and headless Chromium with a fresh profile.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WWW = path.join(ROOT, 'www');
export const DATA_15M = path.join(ROOT, 'tests/data/BTCUSDT-15m-2025.csv');

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.csv': 'text/csv', '.json': 'application/json' };

// The rows of the headed candle CSV as Binance REST klines (prices as strings, as Binance
// sends them; the fields btlab does not read are zero).
function klines(file) {
  return fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((line) => {
    const [t, o, h, l, c, v] = line.split(',');
    return [Number(t), o, h, l, c, v, Number(t) + 899_999, '0', 0, '0', '0', '0'];
  });
}

export async function startServer() {
  let recorded = null;
  const seen = { klines: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/api/v3/klines') {
      seen.klines++;
      recorded ??= klines(DATA_15M);
      const start = Number(url.searchParams.get('startTime'));
      const end = Number(url.searchParams.get('endTime'));
      const limit = Number(url.searchParams.get('limit') || 500);
      // Only the recorded symbol exists, as on Binance an unknown one has no candles.
      const page = url.searchParams.get('symbol') !== 'BTCUSDT' ? [] : recorded.filter((k) => k[0] >= start && k[0] <= end).slice(0, limit);
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify(page));
      return;
    }
    const file = path.join(WWW, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname));
    if (!file.startsWith(WWW) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, seen, close: () => new Promise((r) => server.close(r)) };
}

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export function tempDir(prefix = 'btlab-e2e-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// A persistent context, so IndexedDB survives reloads (and a browser restart on the same dir).
export async function launch(dir = tempDir(), options = {}) {
  process.env.XDG_CONFIG_HOME ??= tempDir('btlab-xdg-');
  process.env.XDG_CACHE_HOME ??= process.env.XDG_CONFIG_HOME;
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', args: ARGS, acceptDownloads: true, ...options,
  });
  return { context, dir };
}

export async function openApp(context, url) {
  // The persistent context opens with one blank page: use it, else a new one.
  const page = context.pages().find((p) => p.url() === 'about:blank') || (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready', null, { timeout: 60_000 });
  return { page, errors };
}

// Fills the sweep builder's axes and runs it; resolves when the progress bar reaches 100%.
export async function runSweep(page, { strategy = 'sma', axes, start, end, datasetMatch } = {}) {
  await page.click('#tabs button[data-view=sweep]');
  if (datasetMatch) {
    const value = await page.$eval('#sweep-dataset', (s, m) => [...s.options].find((o) => o.textContent.includes(m))?.value, datasetMatch);
    await page.selectOption('#sweep-dataset', value);
  }
  await page.selectOption('#sweep-strategy', strategy);
  for (const [name, text] of Object.entries(axes || {})) await page.fill(`input[name=axis-${name}]`, text);
  if (start) await page.fill('input[name=start]', start);
  if (end) await page.fill('input[name=end]', end);
  await page.click('#run');
  await page.waitForFunction(() => document.querySelector('#progress-bar').value === 1 && !document.querySelector('#run').disabled, null, { timeout: 120_000 });
}

// The native binary built by `cargo build -p btlab-cli` (the newer of release and debug).
export function btlabBinary() {
  const bin = ['release', 'debug'].map((p) => path.join(ROOT, 'target', p, 'btlab')).filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  if (!bin) throw new Error('the btlab binary is built (cargo build -p btlab-cli)');
  return bin;
}

export function btlab(...args) {
  return execFileSync(btlabBinary(), args, { encoding: 'utf8' });
}

// How many pixels of an element's screenshot are not near-white: a chart drew, whatever
// drew it (canvas or SVG). Counted in a blank page of the same context, so the element's
// own page needs no permission to read images.
export async function paintedPixels(page, selector) {
  const png = await page.locator(selector).screenshot();
  const blank = await page.context().newPage();
  try {
    return await blank.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const g = new OffscreenCanvas(img.width, img.height).getContext('2d');
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, img.width, img.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 230 || d[i + 1] < 230 || d[i + 2] < 230) n++;
      return n;
    }, png.toString('base64'));
  } finally {
    await blank.close();
  }
}

// Screenshots of the views, kept as CI artifacts.
export async function screenshot(page, name) {
  const dir = path.join(ROOT, 'target', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

// Imports a candle file as `symbol` through the Datasets tab (resolves before it is ready).
export async function importCandles(page, file, symbol) {
  await page.click('#tabs button[data-view=datasets]');
  await page.fill('#import-symbol', symbol);
  await page.setInputFiles('#file', file);
}

// Loads the sample series shipped with the page (real BTCUSDT 15m 2025) and selects it.
export async function loadSample(page) {
  await page.click('#tabs button[data-view=datasets]');
  await page.click('#load-sample');
  await page.waitForFunction(() => /BTCUSDT 15m ready/.test(document.querySelector('#status').textContent), null, { timeout: 60_000 });
}

// The numbers of a table's column, found by its header (a cell that is not a number fails).
export async function columnNumbers(page, tableSelector, title) {
  const values = await page.$eval(tableSelector, (t, title) => {
    const index = [...t.querySelectorAll('thead th')].findIndex((th) => th.textContent === title);
    return [...t.querySelectorAll('tbody tr')].map((tr) => tr.children[index].textContent);
  }, title);
  return values.map((v) => {
    const n = parseFloat(v);
    if (Number.isNaN(n)) throw new Error(`column ${title}: "${v}" is not a number`);
    return n;
  });
}

// The sample series, 2025-01-01 to 2025-11-01, the predefined SMA grid in the sweep builder:
// what the walk-forward and optimizer tabs start from.
export async function sampleSmaSetup(page) {
  await loadSample(page);
  await page.click('#tabs button[data-view=sweep]');
  await page.fill('input[name=start]', '2025-01-01');
  await page.fill('input[name=end]', '2025-11-01');
  await page.selectOption('#sweep-strategy', 'sma');
  await page.click('#preset');
}

export async function storedCount(page) {
  return page.evaluate(() => window.btlab.store.count(null));
}
