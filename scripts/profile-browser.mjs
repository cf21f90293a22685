// Where the page's sweep time goes (issue 20's first step; a measurement, not a test):
// a 10,000-config SMA sweep on the real 15m series in headless Chromium, each step of the
// sweep loop timed on the main thread (plan, the workers' round trip, the IndexedDB log
// write, the store's insert, the fold) and the main thread's CPU profile (CDP) summed by
// function; then the wasm engine alone in Node, one thread, on the same configs, and
// btlab's native sweep of them for scale.
// Run: node scripts/profile-browser.mjs (after scripts/build-web.sh and cargo build --release -p btlab-cli).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, launch, openApp, importCandles, btlabBinary, DATA_15M, ROOT } from '../tests/e2e/helpers.js';

const FAST = '1..100 step 1';
const SLOW = '101..200 step 1';

const server = await startServer();
const { context } = await launch();
let page;
try {
  ({ page } = await openApp(context, server.url));
  await importCandles(page, DATA_15M, 'BTCUSDT');
  await page.waitForFunction(() => /BTCUSDT 15m ready/.test(document.querySelector('#status').textContent));
  await page.click('#tabs button[data-view=sweep]');
  await page.fill('input[name=start]', '2025-01-01');
  await page.fill('input[name=end]', '2026-01-01');
  await page.fill('input[name=axis-fast_period]', FAST);
  await page.fill('input[name=axis-slow_period]', SLOW);
  // Each step of the loop wrapped where the sweep view calls it (the objects it uses).
  await page.evaluate(() => {
    const { ctx } = window.btlab;
    const spent = { plan: 0, workers: 0, log_write: 0, store_insert: 0, fold: 0, chunks: 0 };
    window.spent = spent;
    const timed = (object, name, key, isAsync) => {
      const original = object[name].bind(object);
      object[name] = isAsync
        ? async (...args) => { const t = performance.now(); try { return await original(...args); } finally { spent[key] += performance.now() - t; } }
        : (...args) => { const t = performance.now(); try { return original(...args); } finally { spent[key] += performance.now() - t; } };
    };
    timed(ctx.store, 'planNext', 'plan', false);
    timed(ctx.pool, 'run', 'workers', true);
    timed(ctx.persist, 'apply', 'store_insert', false);
    timed(ctx.persist, 'fold', 'fold', true);
    const append = ctx.persist.append.bind(ctx.persist);
    ctx.persist.append = async (...args) => {
      spent.chunks++;
      const t = performance.now();
      const before = spent.store_insert;
      try { return await append(...args); } finally { spent.log_write += performance.now() - t - (spent.store_insert - before); }
    };
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  const started = Date.now();
  await page.click('#run');
  await page.waitForFunction(() => /^sweep (done|cancelled)/.test(document.querySelector('#status').textContent) && !document.querySelector('#run').disabled, null, { timeout: 300_000, polling: 5 });
  const wall = Date.now() - started;
  const { profile } = await cdp.send('Profiler.stop');
  if (process.env.PROFILE_OUT) fs.writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));
  const spent = await page.evaluate(() => window.spent);
  console.log(`page: 10,000 configs in ${wall} ms wall (${await page.textContent('#progress-text')}), ${spent.chunks} chunks, ${await page.evaluate(() => window.btlab.pool.size)} workers`);
  console.log('main thread, summed over chunks (the workers\' round trips overlap each other and the rest):');
  for (const [k, v] of Object.entries(spent)) if (k !== 'chunks') console.log(`  ${k.padEnd(13)} ${v.toFixed(0).padStart(6)} ms`);
  // Self time per function from the samples.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url ? path.basename(f.url) : ''}`.trim();
    self.set(name, (self.get(name) || 0) + (dt[i + 1] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`main thread CPU profile, ${total.toFixed(0)} ms sampled; self time by function:`);
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${name}`);
} finally {
  await context.close();
  await server.close();
}

// The wasm engine alone (the SIMD build the page picks), one thread, the same 10,000
// configs in chunks of 500.
const { default: init, Engine, Sweep, parseCandles } = await import(path.join(ROOT, 'www/pkg/btlab_web.js'));
await init({ module_or_path: fs.readFileSync(path.join(ROOT, 'www/pkg/btlab_web_simd_bg.wasm')) });
const engine = new Engine(parseCandles(fs.readFileSync(DATA_15M)));
const spec = { symbol: 'BTCUSDT', timeframe: '15m', start: '2025-01-01', end: '2026-01-01', strategies: ['sma'], search: 'grid',
  param_grids: { sma: { fast_period: { type: 'int', min: 1, max: 100 }, slow_period: { type: 'int', min: 101, max: 200 } } } };
const sweep = new Sweep(spec);
const chunks = [];
for (let c = sweep.nextChunk(500); c !== '[]'; c = sweep.nextChunk(500)) chunks.push(c);
let runMs = 0;
let bytes = 0;
for (const chunk of chunks) {
  const t = performance.now();
  bytes += engine.runChunk(chunk, false).length;
  runMs += performance.now() - t;
}
console.log(`wasm engine in Node, one thread: ${chunks.reduce((n, c) => n + JSON.parse(c).length, 0)} configs run in ${runMs.toFixed(0)} ms; their runs packed are ${(bytes / 1e6).toFixed(1)} MB`);

// The native sweep of the same grid, stored, for scale.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'btlab-profile-'));
const grid = path.join(dir, 'grid.yaml');
fs.writeFileSync(grid, 'sma: {fast_period: {type: int, min: 1, max: 100}, slow_period: {type: int, min: 101, max: 200}}');
for (const threads of ['2', '1']) {
  const t = performance.now();
  execFileSync(btlabBinary(), ['sweep', '--strategy', 'sma', '--grids', grid, '--data', DATA_15M, '--symbol', 'BTCUSDT', '--timeframe', '15m',
    '--start', '2025-01-01', '--end', '2026-01-01', '--db', path.join(dir, `native-${threads}.sqlite`)], { env: { ...process.env, RAYON_NUM_THREADS: threads }, stdio: 'ignore' });
  console.log(`native btlab sweep, ${threads} thread(s), stored: ${(performance.now() - t).toFixed(0)} ms (process wall)`);
}
