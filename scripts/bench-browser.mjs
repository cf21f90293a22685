// Browser benchmark (not a test), headless Chromium on the real 15m series (2025, 30,026
// candles): SMA sweeps of 10,000 configs (fast 1..100 x slow 101..200; three runs, each in
// a fresh profile) and of 100,000 (slow 101..1100), swept, stored and persisted: wall time
// from the click to the sweep's end (every chunk in the IndexedDB log, the log folded into
// the snapshot), and the longest main-thread task during it; beside them btlab's native
// sweep of the same grids, stored, measured in the same run; then 1,000 configs of a strategy
// definition (strategies/ema_rsi.yaml, through the Strategy tab's "Sweep this").
// Run: node scripts/bench-browser.mjs (after scripts/build-web.sh and cargo build --release -p btlab-cli).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, launch, openApp, importCandles, btlabBinary, DATA_15M, ROOT } from '../tests/e2e/helpers.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// A page with the real series imported and the sweep builder on 2025, long tasks observed.
async function freshPage(server) {
  const { context } = await launch();
  const { page } = await openApp(context, server.url);
  await page.evaluate(() => {
    // Each long task's start and length, and when the status last said a sweep was done:
    // the fold that follows a sweep is not part of it.
    window.longTasks = [];
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => [e.startTime, e.duration]))).observe({ type: 'longtask', buffered: false });
    new MutationObserver(() => {
      if (/^sweep (done|cancelled)/.test(document.querySelector('#status').textContent)) window.sweepEnded = performance.now();
    }).observe(document.querySelector('#status'), { childList: true, characterData: true, subtree: true });
  });
  await importCandles(page, DATA_15M, 'BTCUSDT');
  await page.waitForFunction(() => /BTCUSDT 15m ready/.test(document.querySelector('#status').textContent));
  await page.click('#tabs button[data-view=sweep]');
  await page.fill('input[name=start]', '2025-01-01');
  await page.fill('input[name=end]', '2026-01-01');
  return { context, page };
}

// One sweep of the builder as filled: wall ms, the progress line, the longest task during it.
async function sweep(page) {
  await page.evaluate(() => { window.longTasks.length = 0; });
  const started = Date.now();
  await page.click('#run');
  await page.waitForFunction(() => /^sweep (done|cancelled)/.test(document.querySelector('#status').textContent) && !document.querySelector('#run').disabled, null, { timeout: 600_000, polling: 5 });
  const ms = Date.now() - started;
  const text = await page.textContent('#progress-text');
  const longest = await page.evaluate(() => Math.max(0, ...window.longTasks.filter(([start]) => start < window.sweepEnded).map(([, duration]) => duration)));
  await page.evaluate(() => { document.querySelector('#status').textContent = 'ready'; });
  return { ms, text, longest };
}

// btlab sweep of the same grid into a fresh store, both cores: process wall ms.
function native(slowMax) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'btlab-bench-'));
  const grid = path.join(dir, 'grid.yaml');
  fs.writeFileSync(grid, `sma: {fast_period: {type: int, min: 1, max: 100}, slow_period: {type: int, min: 101, max: ${slowMax}}}`);
  const started = performance.now();
  execFileSync(btlabBinary(), ['sweep', '--strategy', 'sma', '--grids', grid, '--data', DATA_15M, '--symbol', 'BTCUSDT', '--timeframe', '15m',
    '--start', '2025-01-01', '--end', '2026-01-01', '--db', path.join(dir, 'native.sqlite')], { stdio: 'ignore' });
  const ms = performance.now() - started;
  fs.rmSync(dir, { recursive: true, force: true });
  return ms;
}

const report = (label, configs, runs, natives) => {
  for (const r of runs) console.log(`${label}: ${r.ms} ms wall, longest main-thread task ${r.longest.toFixed(0)} ms (${r.text})`);
  const page = median(runs.map((r) => r.ms));
  const nat = median(natives);
  console.log(`${label}, median of ${runs.length}: page ${page} ms (${Math.round(configs / page * 1000)} configs/s), ` +
    `native btlab sweep ${nat.toFixed(0)} ms (${Math.round(configs / nat * 1000)} configs/s): page/native ${(page / nat).toFixed(2)}x`);
};

const server = await startServer();
try {
  const tenK = [];
  const tenKNative = [];
  for (let run = 0; run < 3; run++) {
    const { context, page } = await freshPage(server);
    try {
      await page.fill('input[name=axis-fast_period]', '1..100 step 1');
      await page.fill('input[name=axis-slow_period]', '101..200 step 1');
      tenK.push(await sweep(page));
    } finally {
      await context.close();
    }
    tenKNative.push(native(200));
  }
  report('10,000 SMA configs', 10_000, tenK, tenKNative);

  {
    const { context, page } = await freshPage(server);
    try {
      await page.fill('input[name=axis-fast_period]', '1..100 step 1');
      await page.fill('input[name=axis-slow_period]', '101..1100 step 1');
      report('100,000 SMA configs', 100_000, [await sweep(page)], [native(1100)]);
    } finally {
      await context.close();
    }
  }

  // The definition: 10 fast x 10 slow x 10 RSI limits, the native benchmark's grid.
  const { context, page } = await freshPage(server);
  try {
    const source = fs.readFileSync(path.join(ROOT, 'strategies/ema_rsi.yaml'), 'utf8');
    await page.evaluate(async (s) => {
      const { define } = await import('./definitions.js');
      define(window.btlab.ctx, s);
      window.btlab.ctx.emit('sweep-strategy', 'ema_rsi');
    }, source);
    for (const [name, text] of Object.entries({ fast: '5..14 step 1', slow: '30..120 step 10', rsi_len: '14', rsi_max: '50..95 step 5', ma: 'ema' })) {
      await page.fill(`input[name=axis-${name}]`, text);
    }
    const runs = [];
    for (let run = 0; run < 3; run++) {
      // Each run a new fee, so new configs: nothing is skipped as already stored.
      await page.fill('input[name=fee_bps]', String(10 + run));
      runs.push(await sweep(page));
    }
    for (const r of runs) console.log(`ema_rsi definition, 1,000 configs: ${r.ms} ms wall, longest task ${r.longest.toFixed(0)} ms (${r.text})`);
    console.log(`ema_rsi definition, 1,000 configs, median of 3: ${median(runs.map((r) => r.ms))} ms; workers: ${await page.evaluate(() => window.btlab.pool.size)}`);
  } finally {
    await context.close();
  }
} finally {
  await server.close();
}
